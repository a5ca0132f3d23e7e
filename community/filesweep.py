"""Removing stored files nothing refers to any more.

Files are stored before the row that refers to them commits (an upload, a file kept while a
form is corrected), so some are never referred to: a refused submission, an abandoned form,
a replaced profile picture. A file is removed only when no resource version, media file or
profile picture names it and it was last stored more than GRACE ago, so a transaction still
in flight never loses its file.
"""

import logging
import time

from sqlalchemy import select

from . import storage
from .accounts.models import User
from .extensions import db
from .media.models import MediaFile
from .resources.models import ResourceVersion

log = logging.getLogger(__name__)
GRACE_SECONDS = 24 * 60 * 60


def referenced_hashes() -> set[str]:
    found = set(db.session.scalars(select(ResourceVersion.sha256)))
    found |= set(db.session.scalars(select(MediaFile.sha256)))
    found |= set(
        db.session.scalars(select(User.avatar_sha256).where(User.avatar_sha256.is_not(None)))
    )
    return found


def sweep_unreferenced(now: float | None = None) -> int:
    """Remove unreferenced files older than GRACE_SECONDS; how many were removed."""
    cutoff = (now or time.time()) - GRACE_SECONDS
    candidates = [sha for sha, mtime in storage.stored_files() if mtime < cutoff]
    if not candidates:
        return 0
    keep = referenced_hashes()
    removed = 0
    for sha256 in candidates:
        if sha256 not in keep:
            storage.remove(sha256)
            removed += 1
    if removed:
        log.info("removed %d unreferenced files", removed)
    return removed
