"""Saving images for posts and profile pictures: checks, sizes, storage, one row per image."""

import hashlib
import io
import random

import pytest
from flask_login import AnonymousUserMixin
from PIL import ExifTags, Image

from community import storage
from community.db import atomic
from community.errors import Forbidden, Invalid, TooMany
from community.media import actions
from community.media.models import MediaFile
from tests.factories import make_user
from tests.filesamples import mp3_bytes, pdf_bytes
from tests.media.conftest import (
    fresh_user,
    image_bytes,
    jpeg_with_gps,
    media_rows,
    opened,
    stored_files,
)

ONLY_IMAGES = "Only images (PNG, JPEG or WebP) can be uploaded here."


def save(user, filename="photo.png", data=None, purpose="post") -> MediaFile:
    with atomic():
        media = actions.save_image(
            fresh_user(user), filename, image_bytes() if data is None else data, purpose=purpose
        )
        return media.id


def row(media_id: int) -> MediaFile:
    return next(m for m in media_rows() if m.id == media_id)


def stored_bytes(media: MediaFile) -> bytes:
    with storage.open(media.sha256) as f:
        return f.read()


def refused(user, filename: str, data: bytes, purpose="post") -> str:
    with pytest.raises(Invalid) as caught, atomic():
        actions.save_image(fresh_user(user), filename, data, purpose=purpose)
    return caught.value.message


# --- images in posts ----------------------------------------------------------------------


def test_an_image_is_stored_by_its_hash_and_recorded(member, upload_dir):
    media = row(save(member, "Site visit.png", image_bytes("PNG", size=(120, 80))))
    data = stored_bytes(media)
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert media.size == len(data)
    assert (media.content_type, media.extension) == ("image/png", "png")
    assert (media.width, media.height) == (120, 80)
    assert media.uploaded_by_id == member.id
    assert opened(data).format == "PNG"
    assert stored_files(upload_dir) == [storage.path_for(media.sha256)]


@pytest.mark.parametrize(
    ("fmt", "filename", "content_type"),
    [("JPEG", "a.jpg", "image/jpeg"), ("WEBP", "a.webp", "image/webp")],
)
def test_jpeg_and_webp_keep_their_format(member, fmt, filename, content_type):
    media = row(save(member, filename, image_bytes(fmt, size=(64, 48))))
    assert media.content_type == content_type
    assert opened(stored_bytes(media)).format == fmt


def test_a_large_image_is_scaled_down_to_2560_on_its_long_side(member):
    media = row(save(member, "wide.jpg", image_bytes("JPEG", size=(3200, 1000))))
    image = opened(stored_bytes(media))
    assert image.size == (2560, 800)
    assert (media.width, media.height) == (2560, 800)
    tall = row(save(member, "tall.png", image_bytes("PNG", size=(300, 3000))))
    assert opened(stored_bytes(tall)).size == (256, 2560)


def test_a_small_image_is_never_scaled_up(member):
    media = row(save(member, "small.png", image_bytes("PNG", size=(30, 20))))
    assert opened(stored_bytes(media)).size == (30, 20)


def test_exif_and_gps_are_stripped(member):
    original = opened(jpeg_with_gps())
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    media = row(save(member, "holiday.jpg", jpeg_with_gps()))
    data = stored_bytes(media)
    cleaned = opened(data)
    assert "exif" not in cleaned.info
    assert len(cleaned.getexif()) == 0
    assert b"PhoneMaker" not in data


def test_exif_is_stripped_from_scaled_images_too(member):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    media = row(save(member, "big.jpg", image_bytes("JPEG", size=(2700, 100), exif=exif)))
    data = stored_bytes(media)
    assert opened(data).size == (2560, 95)
    assert b"PhoneMaker" not in data
    assert len(opened(data).getexif()) == 0


def test_the_same_image_twice_is_one_file_and_one_row(member, upload_dir):
    data = image_bytes("PNG", size=(50, 50))
    first = save(member, "one.png", data)
    second = save(member, "two.png", data)
    assert first == second
    assert len(media_rows()) == 1
    assert len(stored_files(upload_dir)) == 1


def test_the_same_image_from_someone_else_keeps_the_first_uploader(member):
    other = make_user("Bea Other", email="bea@example.org")
    data = image_bytes("PNG", size=(50, 50))
    first = save(member, "one.png", data)
    assert save(other, "same.png", data) == first
    assert row(first).uploaded_by_id == member.id


def test_a_duplicate_inside_a_larger_transaction_leaves_the_rest_of_it_alone(member):
    """The unique-index fallback rolls back only its savepoint, not the caller's work."""
    data = image_bytes("PNG", size=(50, 50))
    save(member, "one.png", data)
    with atomic():
        user = fresh_user(member)
        user.bio = "Kept"
        again = actions.save_image(user, "again.png", data, purpose="post")
        assert again.uploaded_by_id == member.id
    assert fresh_user(member).bio == "Kept"
    assert len(media_rows()) == 1


def test_unknown_purpose_is_a_programming_error(member):
    with pytest.raises(ValueError, match="purpose"), atomic():
        actions.save_image(fresh_user(member), "a.png", image_bytes(), purpose="banner")


# --- refusals: a clear message and nothing stored ---------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("report.pdf", pdf_bytes(), ONLY_IMAGES),
        ("notes.txt", b"Just some notes.\n", ONLY_IMAGES),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
         "Web pages, SVG, XML, scripts and programs are not accepted."),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "That file contains web page markup (HTML, SVG or XML), which is not accepted."),
        ("photo.png", b"<!doctype html><html><body><script>alert(1)</script></body></html>",
         "That file contains web page markup (HTML, SVG or XML), which is not accepted."),
        ("empty.png", b"", "That file is empty."),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", actions.IMAGES_ONLY),
        ("clip.mp3", mp3_bytes(), ONLY_IMAGES),
        ("broken.png", image_bytes("PNG")[:60], "That image could not be read. It may be damaged."),
    ],
)  # fmt: skip
def test_what_is_not_an_accepted_image_is_refused(member, upload_dir, filename, data, message):
    assert refused(member, filename, data).startswith(message)
    assert media_rows() == []
    assert stored_files(upload_dir) == []


@pytest.mark.parametrize("extra_settings", [{"MAX_UPLOAD_MB": 1}])
def test_an_image_over_the_limit_is_refused_with_the_limit(member, upload_dir):
    noise = Image.frombytes("RGB", (700, 700), random.Random(1).randbytes(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 1024 * 1024
    assert (
        refused(member, "big.png", out.getvalue()) == "That file is too large: the limit is 1 MB."
    )
    assert media_rows() == []
    assert stored_files(upload_dir) == []


def test_images_are_limited_to_10_mb_even_when_uploads_may_be_larger(app):
    assert app.config["MAX_UPLOAD_MB"] > 10
    assert actions.max_image_bytes() == 10 * 1024 * 1024


def test_the_stream_is_read_only_just_past_the_limit(app):
    stream = io.BytesIO(b"x" * (actions.max_image_bytes() + 100))
    assert len(actions.read_limited(stream)) == actions.max_image_bytes() + 1


def test_anonymous_visitors_cannot_upload(app, upload_dir):
    with pytest.raises(Forbidden, match="sign in"), atomic():
        actions.save_image(AnonymousUserMixin(), "a.png", image_bytes(), purpose="post")
    with pytest.raises(Forbidden), atomic():
        actions.save_image(None, "a.png", image_bytes(), purpose="post")
    assert stored_files(upload_dir) == []


def test_suspended_members_cannot_upload(suspended, upload_dir):
    with pytest.raises(Forbidden, match="suspended"), atomic():
        actions.save_image(fresh_user(suspended), "a.png", image_bytes(), purpose="post")
    assert stored_files(upload_dir) == []
    assert media_rows() == []


def test_unconfirmed_members_cannot_upload(unverified, upload_dir):
    with pytest.raises(Forbidden, match="confirm your email"), atomic():
        actions.set_avatar(fresh_user(unverified), "a.png", image_bytes())
    assert stored_files(upload_dir) == []
    assert fresh_user(unverified).avatar_sha256 is None


# --- profile pictures ---------------------------------------------------------------------


def test_an_avatar_is_a_centred_256_square(member):
    # Red middle third, blue sides: the square must come from the middle.
    image = Image.new("RGB", (600, 200), (0, 0, 255))
    image.paste((255, 0, 0), (200, 0, 400, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    with atomic():
        media = actions.set_avatar(fresh_user(member), "me.png", out.getvalue())
        sha256 = media.sha256
    user = fresh_user(member)
    assert user.avatar_sha256 == sha256
    media = media_rows()[0]
    square = opened(stored_bytes(media))
    assert square.size == (256, 256)
    assert (media.width, media.height) == (256, 256)
    assert square.convert("RGB").getpixel((128, 128)) == (255, 0, 0)
    assert square.convert("RGB").getpixel((5, 128)) == (255, 0, 0)


def test_an_avatar_keeps_its_format_and_loses_its_exif(member):
    with atomic():
        actions.set_avatar(fresh_user(member), "me.jpg", jpeg_with_gps(size=(300, 400)))
    media = media_rows()[0]
    data = stored_bytes(media)
    assert media.content_type == "image/jpeg"
    assert opened(data).size == (256, 256)
    assert b"PhoneMaker" not in data
    assert len(opened(data).getexif()) == 0


def test_a_palette_png_with_transparency_makes_a_smooth_avatar(member):
    image = Image.new("P", (100, 60), 0)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    image.paste(1, (30, 0, 70, 60))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=0)
    with atomic():
        actions.set_avatar(fresh_user(member), "logo.png", out.getvalue())
    square = opened(stored_bytes(media_rows()[0]))
    assert square.size == (256, 256)
    assert square.mode == "RGBA"
    assert square.getpixel((128, 128)) == (200, 30, 30, 255)
    assert square.getpixel((0, 128))[3] == 0  # the transparent sides stay transparent


def test_a_small_avatar_is_scaled_up_to_the_square(member):
    with atomic():
        actions.set_avatar(fresh_user(member), "tiny.webp", image_bytes("WEBP", size=(40, 30)))
    assert opened(stored_bytes(media_rows()[0])).size == (256, 256)


def test_a_refused_avatar_keeps_the_old_one(member):
    with atomic():
        old = actions.set_avatar(fresh_user(member), "me.png", image_bytes()).sha256
    refused(member, "me.svg", b"<svg/>", purpose="avatar")
    assert fresh_user(member).avatar_sha256 == old


def test_removing_the_avatar_goes_back_to_initials(member):
    with atomic():
        actions.set_avatar(fresh_user(member), "me.png", image_bytes())
    with atomic():
        actions.remove_avatar(fresh_user(member))
    assert fresh_user(member).avatar_sha256 is None
    assert len(media_rows()) == 1  # the image itself stays: posts may show the same bytes


def test_remove_avatar_needs_a_signed_in_member(app):
    with pytest.raises(Forbidden), atomic():
        actions.remove_avatar(AnonymousUserMixin())


# --- Markdown for the composer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "alt"),
    [
        ("Site visit.png", "Site visit"),
        ("C:\\Users\\me\\plan [draft].PNG", "plan draft"),
        ("a]b(c).jpg", "a b(c)"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_markdown_uses_the_name_as_a_first_alt_text(member, filename, alt):
    media = row(save(member, "x.png", image_bytes()))
    url = f"/media/{media.sha256}"
    assert actions.image_markdown(media, filename, url) == f"![{alt}]({url})"


def test_an_rgb_png_with_a_transparent_colour_keeps_it_when_scaled(member):
    image = Image.new("RGB", (3000, 100), (0, 255, 0))
    image.paste((255, 255, 255), (0, 0, 1500, 100))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=(0, 255, 0))
    media = row(save(member, "keyed.png", out.getvalue()))
    scaled = opened(stored_bytes(media))
    assert scaled.size == (2560, 85)
    assert scaled.mode == "RGBA"
    assert scaled.getpixel((2500, 40))[3] == 0
    assert scaled.getpixel((100, 40)) == (255, 255, 255, 255)


def test_uploads_are_limited_in_the_action_whatever_the_path(app, member, upload_dir):
    """The limit is counted by the action, so a caller that is no view is limited too; post
    images and profile pictures share one count, and nothing is stored once over it."""
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "upload_account": "2 per hour"}
    save(member, "one.png", image_bytes(size=(10, 10)))
    with atomic():
        actions.set_avatar(fresh_user(member), "me.png", image_bytes(size=(12, 12)))
    kept = stored_files(upload_dir)
    with pytest.raises(TooMany, match="too often"):
        save(member, "three.png", image_bytes(size=(14, 14)))
    assert stored_files(upload_dir) == kept
    assert len(media_rows()) == 2
    save(make_user("Bea Other", email="bea@example.org"), "bea.png")  # a count per member
