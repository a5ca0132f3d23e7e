"""The file storage interface: content-addressed files under `UPLOAD_DIR`.

A file is named by the SHA-256 of its bytes and kept at `<UPLOAD_DIR>/<hash[:2]>/<hash>`, so
the same bytes are stored once and nothing a user names ever becomes a path: callers keep
the hash (and a display name, see `community.uploads`) in the database and come back with
the hash. Writes go to a temporary file that is renamed into place, so a reader never sees
half a file. The interface is a handful of functions (`store`, `open`, `exists`, `path_for`,
`send`, and `stored_files`/`remove` for the sweep of unreferenced files) so that object
storage can replace the directory later.
"""

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app, send_file

from .errors import NotFound

CHUNK = 1024 * 1024
HASH_PATTERN = re.compile(r"[0-9a-f]{64}")

# Only these are ever shown in the page (audio players, images in posts, avatars); every
# other type is always a download, whatever the caller asks for.
INLINE_TYPES = ("audio/", "image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(sha256: str) -> Path:
    """Where the file with this hash lives; NotFound for anything that is not a hash."""
    if not isinstance(sha256, str) or not HASH_PATTERN.fullmatch(sha256):
        raise NotFound("We could not find that file.")
    return _root() / sha256[:2] / sha256


def exists(sha256: str) -> bool:
    try:
        return path_for(sha256).is_file()
    except NotFound:
        return False


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be synced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def store(data: bytes | BinaryIO) -> StoredFile:
    """Keep these bytes (or what the stream yields) and return their hash and size.

    Storing bytes that are already there changes nothing and returns the same hash.
    """
    root = _root()
    incoming = root / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, temporary = tempfile.mkstemp(dir=incoming, prefix="upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes | bytearray | memoryview):
                chunks = [bytes(data)]
            else:
                chunks = iter(lambda: data.read(CHUNK), b"")
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        sha256 = digest.hexdigest()
        final = path_for(sha256)
        if final.is_file():
            os.unlink(temporary)
            # Stored again just now: the sweep of unreferenced files must wait a full day
            # from here, as for a new file, before it may consider removing it.
            os.utime(final)
        else:
            final.parent.mkdir(exist_ok=True)
            os.replace(temporary, final)  # atomic: the whole file or none of it
            _fsync_dir(final.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return StoredFile(sha256=sha256, size=size)


def stored_files():
    """Every stored file as (sha256, modification time in seconds since the epoch)."""
    root = _root()
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if len(folder.name) != 2 or not folder.is_dir():
            continue
        for path in folder.iterdir():
            if HASH_PATTERN.fullmatch(path.name) and path.is_file():
                yield path.name, path.stat().st_mtime


def remove(sha256: str) -> None:
    """Delete a stored file (no error when it is already gone)."""
    with contextlib.suppress(FileNotFoundError):
        path_for(sha256).unlink()


def open(sha256: str) -> BinaryIO:  # noqa: A001 (the interface's name; storage.open)
    """The stored file, opened for reading in binary mode; NotFound when it is not there."""
    try:
        return path_for(sha256).open("rb")
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound("We could not find that file.") from None


def send(sha256: str, *, display_name: str, content_type: str, inline: bool):
    """A response serving the stored file, with Range and conditional requests.

    A download (`Content-Disposition: attachment`) unless `inline` is asked for an audio
    file or a raster image. The file response never runs anything: `nosniff`, and a
    sandboxing Content-Security-Policy in place of the site's.
    """
    path = path_for(sha256)
    if not path.is_file():
        raise NotFound("We could not find that file.")
    inline = inline and content_type.startswith(INLINE_TYPES)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=not inline,
        download_name=display_name,
        conditional=True,
        etag=sha256,  # the content's own hash: strong, and the same on every server
    )
    # Revalidated on every use (`no-cache`, answered 304 by the ETag) and kept out of shared
    # caches: whether someone may still see the file is decided on each request.
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
