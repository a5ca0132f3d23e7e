"""The image routes: the composer's JSON upload, the page without JavaScript, serving."""

import hashlib
import io
import re
from html import unescape

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from community import config, storage
from community.db import utcnow
from community.media.models import MediaFile
from tests.conftest import Browser
from tests.factories import make_user
from tests.filesamples import pdf_bytes
from tests.media.conftest import (
    hash_in,
    image_bytes,
    jpeg_with_gps,
    media_rows,
    opened,
    set_user,
    stored_files,
)
from tests.threads.helpers import csrf, start

PNG = image_bytes("PNG", size=(80, 60))


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user.email)
    return browser


def upload(browser: Browser, data: bytes = PNG, filename: str = "Site visit.png", token=True):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRFToken"] = csrf(browser, "/media/new" if token is True else token)
    return browser.client.post(
        "/media",
        data={"image": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def upload_page(browser: Browser, data: bytes | None = PNG, filename: str = "plan.png"):
    form = {"csrf_token": csrf(browser, "/media/new")}
    if data is not None:
        form["image"] = (io.BytesIO(data), filename)
    return browser.client.post("/media/new", data=form, content_type="multipart/form-data")


def nothing_stored(upload_dir) -> bool:
    return media_rows() == [] and stored_files(upload_dir) == []


# --- POST /media (the composer) -----------------------------------------------------------


def test_upload_answers_with_the_url_and_markdown(app, member, upload_dir):
    response = upload(signed_in(app, member))
    assert response.status_code == 200
    body = response.get_json()
    sha256 = hash_in(body["url"])
    assert body == {
        "ok": True,
        "url": f"/media/{sha256}",
        "markdown": f"![Site visit](/media/{sha256})",
    }
    [media] = media_rows()
    assert media.sha256 == sha256
    assert stored_files(upload_dir) == [storage.path_for(sha256)]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("report.pdf", pdf_bytes(), "Only images (PNG, JPEG or WebP) can be uploaded here."),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        ("photo.png", b"<html><script>alert(1)</script></html>", "web page markup"),
        ("empty.png", b"", "That file is empty."),
    ],
)
def test_refusals_come_back_as_json_and_store_nothing(
    app, member, upload_dir, filename, data, message
):
    response = upload(signed_in(app, member), data, filename)
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False
    assert message in body["error"]
    assert nothing_stored(upload_dir)


def test_a_missing_file_is_a_clear_400(app, member):
    browser = signed_in(app, member)
    response = browser.client.post(
        "/media", data={}, headers={"X-CSRFToken": csrf(browser, "/media/new")}
    )
    assert response.status_code == 400
    assert response.get_json() == {"ok": False, "error": "Choose an image to upload."}


@pytest.mark.parametrize("extra_settings", [{"MAX_UPLOAD_MB": 1}])
def test_an_image_over_the_limit_says_what_the_limit_is(app, member, upload_dir):
    browser = signed_in(app, member)
    big = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 + 10)
    # Encoded here: the test client's own encoder leaves its spooled temporary file open.
    boundary, body = encode_multipart({"image": FileStorage(io.BytesIO(big), "big.png")})
    response = browser.client.post(
        "/media",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept": "application/json", "X-CSRFToken": csrf(browser, "/media/new")},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "That file is too large: the limit is 1 MB."
    assert nothing_stored(upload_dir)


@pytest.mark.parametrize("extra_settings", [{"MAX_CONTENT_LENGTH": 50_000}])
def test_a_request_over_the_site_limit_gets_a_json_413(app, member, upload_dir):
    browser = signed_in(app, member)
    response = upload(browser, bytes(60_000), "huge.png")
    assert response.status_code == 413
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"].startswith("That image is too large")
    assert nothing_stored(upload_dir)
    # The page without JavaScript says the same in the form.
    page = upload_page(browser, bytes(60_000), "huge.png")
    assert page.status_code == 413
    assert "That image is too large" in page.get_data(as_text=True)
    assert 'id="image-error"' in page.get_data(as_text=True)


def test_csrf_is_enforced(app, member, upload_dir):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    browser = signed_in(app, member)
    response = upload(browser, token=False)
    assert response.status_code == 400
    assert "expired or came from another site" in response.get_json()["error"]
    response = browser.client.post(
        "/media",
        data={"image": (io.BytesIO(PNG), "a.png")},
        headers={"Accept": "application/json", "X-CSRFToken": "forged"},
    )
    assert response.status_code == 400
    assert nothing_stored(upload_dir)


def test_anonymous_visitors_get_a_json_401(client, app, upload_dir):
    browser = Browser(client)
    response = upload(browser, token="/auth/login")
    assert response.status_code == 401
    assert response.get_json() == {"ok": False, "error": "Please sign in to upload images."}
    assert nothing_stored(upload_dir)


def test_a_member_suspended_while_signed_in_is_refused(app, member, upload_dir):
    browser = signed_in(app, member)
    token = csrf(browser, "/media/new")
    set_user(member, suspended_at=utcnow())
    response = browser.client.post(
        "/media",
        data={"image": (io.BytesIO(PNG), "a.png")},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 401  # the session ended with the suspension
    assert nothing_stored(upload_dir)


def test_an_unconfirmed_member_is_refused(app, member, upload_dir):
    browser = signed_in(app, member)
    token = csrf(browser, "/media/new")
    set_user(member, verified_at=None)
    response = browser.client.post(
        "/media",
        data={"image": (io.BytesIO(PNG), "a.png")},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 403
    assert response.get_json() == {
        "ok": False,
        "error": "Please confirm your email address before uploading images.",
    }
    assert nothing_stored(upload_dir)
    assert browser.get("/media/new").status_code == 403


@pytest.mark.parametrize(
    "extra_settings",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATE_LIMITS": {**config.DEFAULTS["RATE_LIMITS"], "upload_account": "2 per hour"},
        }
    ],
)
def test_uploads_are_rate_limited_per_member(app, member):
    browser = signed_in(app, member)
    for n in range(2):
        assert upload(browser, image_bytes("PNG", size=(10 + n, 10))).status_code == 200
    response = upload(browser, image_bytes("PNG", size=(20, 10)))
    assert response.status_code == 429
    assert "too often" in response.get_json()["error"]
    other = signed_in(app, make_user("Bea Other", email="bea@example.org"))
    assert upload(other).status_code == 200


# --- GET /media/<hash> --------------------------------------------------------------------


def test_an_image_is_served_inline_with_the_file_headers(app, member, client):
    sha256 = hash_in(upload(signed_in(app, member)).get_json()["url"])
    response = client.get(f"/media/{sha256}")  # visitors see images in public threads
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert hashlib.sha256(response.data).hexdigest() == sha256
    cache = response.cache_control
    assert cache.private
    assert cache.immutable
    assert cache.max_age == 365 * 24 * 60 * 60
    assert not cache.no_cache
    assert not cache.public
    assert response.headers["ETag"] == f'"{sha256}"'


def test_ranges_and_revalidation_work(app, member, client):
    sha256 = hash_in(upload(signed_in(app, member)).get_json()["url"])
    part = client.get(f"/media/{sha256}", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206
    assert part.data == b"\x89PNG\r\n\x1a\n"
    again = client.get(f"/media/{sha256}", headers={"If-None-Match": f'"{sha256}"'})
    assert again.status_code == 304


def test_exif_is_gone_from_what_is_served(app, member, client):
    url = upload(signed_in(app, member), jpeg_with_gps(), "holiday.jpg").get_json()["url"]
    served = client.get(url)
    assert served.mimetype == "image/jpeg"
    assert b"PhoneMaker" not in served.data
    assert len(opened(served.data).getexif()) == 0


@pytest.mark.parametrize("path", ["0" * 64, "a" * 63, "A" * 64, "..%2Fsecret_key", "new.png"])
def test_unknown_hashes_are_404(client, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_a_stored_file_that_is_not_a_media_image_is_404(app, client, upload_dir):
    """Resource files live in the same storage; /media never serves them."""
    with app.test_request_context():
        stored = storage.store(PNG)  # as a resource upload would store it
    assert storage.exists(stored.sha256)
    response = client.get(f"/media/{stored.sha256}")
    assert response.status_code == 404
    assert response.data != PNG


def test_a_recorded_image_missing_from_disk_is_404(app, member, client, upload_dir):
    sha256 = hash_in(upload(signed_in(app, member)).get_json()["url"])
    storage.path_for(sha256).unlink()
    assert client.get(f"/media/{sha256}").status_code == 404


# --- /media/new (without JavaScript) ------------------------------------------------------


def test_the_upload_page_needs_a_signed_in_member(client):
    response = client.get("/media/new")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_upload_page_shows_the_markdown_to_copy(app, member):
    browser = signed_in(app, member)
    page = browser.get("/media/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<label for="image">Image</label>', page)
    assert 'accept="image/png,image/jpeg,image/webp"' in page
    response = upload_page(browser, PNG, "Floor plan.png")
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    [media] = media_rows()
    assert f"![Floor plan](/media/{media.sha256})" in html
    assert f'src="/media/{media.sha256}"' in html


def test_the_upload_page_shows_refusals_on_the_field(app, member, upload_dir):
    browser = signed_in(app, member)
    response = upload_page(browser, pdf_bytes(), "report.pdf")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert re.search(r'id="image-error">.*Only images \(PNG, JPEG or WebP\)', html)
    assert nothing_stored(upload_dir)
    missing = upload_page(browser, None)
    assert missing.status_code == 400
    assert "Choose an image to upload." in missing.get_data(as_text=True)


def test_the_upload_page_checks_csrf(app, member, upload_dir):
    browser = signed_in(app, member)
    response = browser.client.post(
        "/media/new", data={"image": (io.BytesIO(PNG), "a.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert nothing_stored(upload_dir)


# --- images in posts ----------------------------------------------------------------------


def test_a_post_with_an_uploaded_image_shows_it(app, communities, client):
    author = make_user("Ada Author", email="ada@example.org", communities=("procurement",))
    markdown = upload(signed_in(app, author)).get_json()["markdown"]
    thread_id = start(author, body=f"Our new office:\n\n{markdown}")
    html = client.get(f"/t/{thread_id}").get_data(as_text=True)
    sha256 = hash_in(markdown)
    assert f'<img src="/media/{sha256}" alt="Site visit">' in html
    assert client.get(f"/media/{sha256}").status_code == 200


def test_outside_images_are_not_shown_in_posts(app, communities, client):
    author = make_user("Ada Author", email="ada@example.org", communities=("procurement",))
    thread_id = start(author, body="![tracker](https://evil.example/pixel.png)")
    html = client.get(f"/t/{thread_id}").get_data(as_text=True)
    assert "evil.example" not in html


def test_the_composer_offers_an_image_button_and_a_no_script_link(app, communities):
    author = make_user("Ada Author", email="ada@example.org", communities=("procurement",))
    thread_id = start(author)
    html = signed_in(app, author).get(f"/t/{thread_id}").get_data(as_text=True)
    assert re.search(r'<input type="file" id="body-image"[^>]*accept="image/png', html)
    assert '<label for="body-image" class="button secondary small">Add image</label>' in html
    assert 'href="/media/new" target="_blank" rel="noopener"' in html
    assert "opens in a new tab" in html


def test_recorded_rows_match_what_is_served(app, member, client):
    url = upload(signed_in(app, member), image_bytes("WEBP", size=(30, 20)), "a.webp").get_json()[
        "url"
    ]
    media = media_rows()[0]
    assert isinstance(media, MediaFile)
    served = client.get(url)
    assert served.mimetype == media.content_type == "image/webp"
    assert len(served.data) == media.size
    assert opened(served.data).size == (media.width, media.height) == (30, 20)
