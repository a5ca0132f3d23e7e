"""What resources gives the background jobs: the files the file sweep must keep (versions'
and proposed versions')."""

from flask import Flask
from sqlalchemy import select

from .. import filesweep
from ..extensions import db
from .models import ResourceProposal, ResourceVersion


def version_hashes() -> list[str]:
    proposed = select(ResourceProposal.sha256).where(ResourceProposal.sha256.is_not(None))
    return list(db.session.scalars(select(ResourceVersion.sha256).union(proposed)))


def register(app: Flask) -> None:
    filesweep.register_references(app, version_hashes)
