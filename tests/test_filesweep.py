"""The hourly sweep removes stored files nothing refers to, after a day's grace."""

import os
import time

import pytest

from community import filesweep, storage
from community.jobs import registered_jobs
from tests.factories import make_user
from tests.filesamples import pdf_bytes
from tests.resources.helpers import submit


def age(sha256: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(storage.path_for(sha256), (then, then))


def test_unreferenced_old_files_go_and_everything_else_stays(app, communities):
    resource_id = submit(make_user(communities=("procurement",)))
    assert resource_id
    kept = storage.store(pdf_bytes()).sha256  # a resource's version refers to it
    orphan_old = storage.store(b"left behind by a refused form").sha256
    orphan_new = storage.store(b"a form still being corrected").sha256
    for sha in (kept, orphan_old):
        age(sha, filesweep.GRACE_SECONDS + 60)
    assert filesweep.sweep_unreferenced() == 1
    assert storage.exists(kept)
    assert storage.exists(orphan_new)
    assert not storage.exists(orphan_old)
    assert filesweep.sweep_unreferenced() == 0


def test_storing_the_same_bytes_again_restarts_the_grace(app):
    sha = storage.store(b"uploaded twice").sha256
    age(sha, filesweep.GRACE_SECONDS + 60)
    storage.store(b"uploaded twice")
    assert filesweep.sweep_unreferenced() == 0
    assert storage.exists(sha)


def test_the_sweep_is_a_registered_job(app):
    [files] = [job for job in registered_jobs(app) if job.name == "files"]
    assert files.every == filesweep.EVERY


def test_the_sweep_keeps_what_each_domain_refers_to(app):
    """Accounts, media and resources each register the hashes their rows name."""
    sources = app.extensions[filesweep.REFERENCES]
    assert {s.__module__ for s in sources} == {
        "community.accounts.jobs",
        "community.media.jobs",
        "community.resources.jobs",
    }


def test_without_registered_references_the_sweep_removes_nothing(app, monkeypatch):
    sha = storage.store(b"nobody said whether this is used").sha256
    age(sha, filesweep.GRACE_SECONDS + 60)
    monkeypatch.setitem(app.extensions, filesweep.REFERENCES, [])
    with pytest.raises(RuntimeError, match="no domain has registered"):
        filesweep.sweep_unreferenced()
    assert storage.exists(sha)
