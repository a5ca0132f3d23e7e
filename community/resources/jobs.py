"""What resources gives the background jobs: the version files the file sweep must keep."""

from flask import Flask
from sqlalchemy import select

from .. import filesweep
from ..extensions import db
from .models import ResourceVersion


def version_hashes() -> list[str]:
    return list(db.session.scalars(select(ResourceVersion.sha256)))


def register(app: Flask) -> None:
    filesweep.register_references(app, version_hashes)
