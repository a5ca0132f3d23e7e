"""The moderators' pages, under /mod: the queue of what waits for a decision, and the log
of decisions. Admins see every community; a moderator, the communities they moderate."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/mod")
