"""Helpers for the resource bank tests: everything through the real actions."""

from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from community.resources import actions
from community.resources.models import Resource
from community.uploads import check_upload
from tests.filesamples import mp3_bytes, pdf_bytes

LIMIT = 50 * 1024 * 1024


def live(user: User) -> User:
    return db.session.get(User, user.id)


def pdf_upload(name: str = "report.pdf", data: bytes | None = None):
    return check_upload(name, data or pdf_bytes(), max_bytes=LIMIT)


def mp3_upload(name: str = "episode.mp3", frames: int = 40):
    return check_upload(name, mp3_bytes(frames), max_bytes=LIMIT)


def details(**overrides) -> actions.Details:
    values = {
        "title": "Social value in procurement",
        "kind": "toolkit",
        "communities": ["procurement"],
        "summary": "A **toolkit** for buyers.",
        "published": "2007-03",
        "licence": "cc-by-4.0",
        "tags": "social value, tenders",
    }
    values.update(overrides)
    return actions.Details(**values)


def submit(user: User, *, upload="pdf", **overrides) -> int:
    """Submit a resource as `user`; its id."""
    if upload == "pdf":
        upload = pdf_upload()
    with atomic():
        resource = actions.submit_resource(live(user), details(**overrides), upload=upload)
        return resource.id


def run(action, user: User, *args, **kwargs):
    with atomic():
        return action(live(user), *args, **kwargs)


def reload(resource_id: int) -> Resource:
    db.session.rollback()
    return db.session.get(Resource, resource_id)
