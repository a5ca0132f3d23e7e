"""What accounts gives the background jobs: the profile pictures the file sweep must keep."""

from flask import Flask
from sqlalchemy import select

from .. import filesweep
from ..extensions import db
from .models import User


def avatar_hashes() -> list[str]:
    return list(
        db.session.scalars(select(User.avatar_sha256).where(User.avatar_sha256.is_not(None)))
    )


def register(app: Flask) -> None:
    filesweep.register_references(app, avatar_hashes)
