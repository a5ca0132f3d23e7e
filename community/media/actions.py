"""Images in posts and profile pictures: checked, resized, stored once, recorded.

An image goes through `community.uploads.check_upload` (type from the content, PNG, JPEG or
WebP only, re-encoded without metadata, at most 40 megapixels), is then scaled for its use
and encoded again in its own format, stored by `community.storage` under its hash, and
recorded as a MediaFile: only recorded hashes are served at /media/<hash>.

Limits: an image may be at most IMAGE_MAX_MB (or MAX_UPLOAD_MB when that is lower). The
memory an image takes to decode is bounded by the pixel cap, not by its bytes; the byte cap
bounds the upload and the work of reading it. 10 MB holds a phone's photos and screenshots;
a larger original can be saved smaller first. Images in posts are scaled down to
POST_MAX_SIDE on their long side (never up); profile pictures are cut to a centred
AVATAR_SIDE square.
"""

import io
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import storage
from ..accounts.models import User
from ..errors import Forbidden, Invalid
from ..extensions import db
from ..offload import off_the_event_loop  # CPU-heavy work: a real thread under gevent
from ..uploads import NOT_ACCEPTED, check_upload, clean_display_name, count_upload
from .models import MediaFile

MB = 1024 * 1024
IMAGE_MAX_MB = 10
POST_MAX_SIDE = 2560
AVATAR_SIDE = 256
PURPOSES = ("post", "avatar")
# The upload check's own message lists every type the site takes (PDFs and all): here only
# images are, so say that instead.
IMAGES_ONLY = "That kind of file is not accepted here. Please choose a PNG, JPEG or WebP image."

_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
# Characters that would end or break the alt text of `![alt](url)`.
_ALT_UNSAFE = str.maketrans({"[": " ", "]": " ", "\\": " ", "\n": " ", "\r": " "})


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def max_image_bytes() -> int:
    """The largest image accepted, in bytes: IMAGE_MAX_MB, or MAX_UPLOAD_MB if lower."""
    return min(current_app.config["MAX_UPLOAD_MB"], IMAGE_MAX_MB) * MB


def read_limited(stream: BinaryIO) -> bytes:
    """An uploaded file's bytes, reading at most one byte past the limit (enough to refuse)."""
    return stream.read(max_image_bytes() + 1)


def check_uploader(user: User | None) -> User:
    """Images may be uploaded by signed-in, confirmed members who are not suspended."""
    # `is_anonymous`, not `is_authenticated`: Flask-Login counts a suspended member as not
    # authenticated, and they get a message of their own.
    if user is None or getattr(user, "is_anonymous", True):
        raise Forbidden("Please sign in to upload images.")
    if user.suspended_at is not None:
        raise Forbidden("This account is suspended, so it cannot upload images.")
    if not user.is_verified:
        raise Forbidden("Please confirm your email address before uploading images.")
    return user


def _encode(image: Image.Image, extension: str, icc_profile: bytes | None) -> bytes:
    fmt = _FORMATS[extension]
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt == "JPEG":
        if image.mode not in {"RGB", "L", "CMYK"}:
            image = image.convert("RGB")
        options.update(quality=88, optimize=True)
    elif fmt == "PNG":
        options.update(optimize=True)
    else:
        options.update(quality=88)
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _resizable(image: Image.Image) -> Image.Image:
    """The image in a mode that resamples smoothly (palette and 1-bit images would not), with
    a transparent colour key (PNG's tRNS) turned into an alpha channel, which survives it."""
    has_key = "transparency" in image.info
    if image.mode in {"RGBA", "LA", "CMYK"} or (image.mode in {"RGB", "L"} and not has_key):
        return image
    has_alpha = has_key or image.mode in {"PA", "RGBa", "La"}
    return image.convert("RGBA" if has_alpha else "RGB")


def _prepare(filename: str, data: bytes, max_bytes: int, purpose: str) -> PreparedImage:
    """Check the upload, then scale it for its purpose. CPU-bound: runs off the event loop."""
    try:
        upload = check_upload(filename, data, max_bytes=max_bytes, kinds={"image"})
    except Invalid as exc:
        if exc.message == NOT_ACCEPTED:
            raise Invalid(IMAGES_ONLY, field=exc.field) from exc
        raise
    with Image.open(io.BytesIO(upload.data), formats=[_FORMATS[upload.extension]]) as opened:
        opened.load()
        icc_profile = opened.info.get("icc_profile")
        image: Image.Image = opened
        if purpose == "avatar":
            image = ImageOps.fit(
                _resizable(opened), (AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.LANCZOS
            )
            out = _encode(image, upload.extension, icc_profile)
        elif max(opened.size) > POST_MAX_SIDE:
            image = _resizable(opened).copy()
            image.thumbnail((POST_MAX_SIDE, POST_MAX_SIDE), Image.Resampling.LANCZOS)
            out = _encode(image, upload.extension, icc_profile)
        else:
            out = upload.data  # already re-encoded without metadata, and small enough
        width, height = image.size
    return PreparedImage(out, upload.content_type, upload.extension, width, height)


def _record(user: User, stored: storage.StoredFile, image: PreparedImage) -> MediaFile:
    """The MediaFile for these bytes: inserted the first time, the existing row after."""
    media = MediaFile(
        sha256=stored.sha256,
        content_type=image.content_type,
        extension=image.extension,
        size=stored.size,
        width=image.width,
        height=image.height,
        uploaded_by_id=user.id,
    )
    try:
        # Insert first and fall back on the unique index: two members uploading the same
        # bytes at once (or one double-submitting) end up with the one row, on either backend.
        with db.session.begin_nested():
            db.session.add(media)
    except IntegrityError:
        existing = db.session.scalar(select(MediaFile).where(MediaFile.sha256 == stored.sha256))
        if existing is None:
            raise
        return existing
    return media


def save_image(user: User, filename: str, data: bytes, *, purpose: str) -> MediaFile:
    """Store an image for a post ("post") or a profile picture ("avatar"). Confirmed,
    active members only; anything but a PNG, JPEG or WebP image is refused (Invalid)."""
    check_uploader(user)
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
    count_upload(user.id)
    image = off_the_event_loop(_prepare, filename or "", data or b"", max_image_bytes(), purpose)
    stored = storage.store(image.data)
    return _record(user, stored, image)


def set_avatar(user: User, filename: str, data: bytes) -> MediaFile:
    """Make this image (cut to a square) the member's own profile picture."""
    media = save_image(user, filename, data, purpose="avatar")
    user.avatar_sha256 = media.sha256
    return media


def remove_avatar(user: User) -> User:
    """Go back to initials in place of one's own profile picture. Signed-in members."""
    if user is None or getattr(user, "is_anonymous", True):
        raise Forbidden("Please sign in to change your profile picture.")
    if user.suspended_at is not None:
        raise Forbidden("This account is suspended.")
    user.avatar_sha256 = None
    return user


def image_markdown(media: MediaFile, filename: str, url: str) -> str:
    """`![name](url)` for a post, the alt text taken from the file's name to start with."""
    name = clean_display_name(filename or "", media.extension)
    alt = name.rsplit(".", 1)[0].translate(_ALT_UNSAFE)
    alt = " ".join(alt.split()) or "image"
    return f"![{alt}]({url})"


def find_media(sha256: str, viewer=None) -> MediaFile | None:
    """The recorded image with this hash, if `viewer` may see it; None for anything else
    (resource files included)."""
    if not isinstance(sha256, str) or not storage.HASH_PATTERN.fullmatch(sha256):
        return None
    media = db.session.scalar(select(MediaFile).where(MediaFile.sha256 == sha256))
    if media is None or _withheld_picture(media, viewer):
        return None
    return media


def _withheld_picture(media: MediaFile, viewer) -> bool:
    """The picture of a profile that moderation hid, to anyone who may not see the profile.
    The profile is found through the image's uploader (one row by its key, not a search of
    every member); the same bytes uploaded earlier by someone else are theirs too."""
    owner = db.session.get(User, media.uploaded_by_id) if media.uploaded_by_id else None
    return (
        owner is not None
        and owner.avatar_sha256 == media.sha256
        and not owner.profile_shown_to(viewer)
    )
