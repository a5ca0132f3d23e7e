"""What media gives the background jobs: the media files the file sweep must keep."""

from flask import Flask
from sqlalchemy import select

from .. import filesweep
from ..extensions import db
from .models import MediaFile


def media_hashes() -> list[str]:
    return list(db.session.scalars(select(MediaFile.sha256)))


def register(app: Flask) -> None:
    filesweep.register_references(app, media_hashes)
