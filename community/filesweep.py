"""Removing stored files nothing refers to any more.

Files are stored before the row that refers to them commits (an upload, a file kept while a
form is corrected), so some are never referred to: a refused submission, an abandoned form,
a replaced profile picture. A file is removed only when no resource version, media file or
profile picture names it and it was last stored more than GRACE ago, so a transaction still
in flight never loses its file.

This module names no domain: each domain that keeps files registers a function listing the
hashes its rows refer to (`register_references`, from its `jobs.py`), and the sweep keeps
every file any of them names.
"""

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import Flask, current_app

from . import storage
from .jobs import register_job

log = logging.getLogger(__name__)
GRACE_SECONDS = 24 * 60 * 60
EVERY = timedelta(hours=1)
REFERENCES = "commons_file_references"  # app.extensions key: [() -> hashes]


def register_references(app: Flask, hashes: Callable[[], Iterable[str]]) -> None:
    """Register a function returning the hashes of the stored files a domain refers to."""
    app.extensions.setdefault(REFERENCES, []).append(hashes)


def register_jobs(app: Flask) -> None:
    register_job(app, "files", EVERY, sweep_unreferenced)


def referenced_hashes() -> set[str]:
    sources = current_app.extensions.get(REFERENCES)
    if not sources:
        # Nothing would count as referenced, and every old file would go.
        raise RuntimeError("no domain has registered the files it refers to")
    found: set[str] = set()
    for hashes in sources:
        found.update(hashes())
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
