"""Fixtures for the image tests: uploads in the test's own folder, sample images, members."""

import io
import re
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from community.accounts.models import User
from community.db import atomic, utcnow
from community.extensions import db
from community.media.models import MediaFile
from tests.factories import make_user


@pytest.fixture
def extra_settings() -> dict:
    """Parametrise this to change a setting for one test."""
    return {}


@pytest.fixture
def upload_dir(tmp_path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def app_settings(upload_dir, extra_settings) -> dict:
    # Without this the app would store into the project's own instance/uploads.
    return {"UPLOAD_DIR": str(upload_dir), **extra_settings}


def image_bytes(fmt: str = "PNG", size=(40, 30), mode: str = "RGB", colour=None, **save) -> bytes:
    """A real image: a gradient (so resizing has something to do), or one colour."""
    image = Image.new(mode, size, colour if colour is not None else 0)
    if colour is None and mode in {"RGB", "RGBA"}:
        width, height = size
        image = Image.linear_gradient("L").resize(size).convert(mode)
        image.putpixel((width // 2, height // 2), (255, 0, 0, 255)[: len(mode)])
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps(size=(60, 40)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 9"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 0.0)
    return image_bytes("JPEG", size=size, exif=exif)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def stored_files(upload_dir: Path) -> list[Path]:
    """The files in storage (the `incoming` folder holds only half-written ones)."""
    if not upload_dir.exists():
        return []
    return sorted(p for p in upload_dir.rglob("*") if p.is_file() and "incoming" not in p.parts)


def media_rows() -> list[MediaFile]:
    db.session.rollback()
    return list(db.session.scalars(db.select(MediaFile).order_by(MediaFile.id)))


def fresh_user(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def set_user(user: User, **values) -> User:
    with atomic():
        row = db.session.get(User, user.id)
        for name, value in values.items():
            setattr(row, name, value)
    return fresh_user(user)


def hash_in(url: str) -> str:
    match = re.search(r"/media/([0-9a-f]{64})", url)
    assert match, url
    return match.group(1)


@pytest.fixture
def member(app):
    return make_user("Ada Member", email="ada@example.org")


@pytest.fixture
def suspended(app):
    user = make_user("Sid Suspended", email="sid@example.org")
    return set_user(user, suspended_at=utcnow())


@pytest.fixture
def unverified(app):
    return make_user("Una Unverified", email="una@example.org", verified=False)
