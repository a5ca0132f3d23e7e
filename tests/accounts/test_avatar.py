"""Profile pictures on the settings page: upload, replace, remove, errors, and where they show."""

import io
import re

import pytest
from PIL import Image

from community import storage
from community.db import atomic
from community.extensions import db
from community.media.models import MediaFile
from tests.accounts.conftest import field_error, make_org, reload
from tests.factories import make_user
from tests.threads.helpers import csrf, start


@pytest.fixture
def upload_dir(tmp_path):
    return tmp_path / "uploads"


@pytest.fixture
def app_settings(upload_dir):
    return {"UPLOAD_DIR": str(upload_dir)}


def picture(size=(300, 200), fmt="PNG", colour=(40, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def send_picture(browser, data: bytes | None, filename: str = "me.png", token: bool = True):
    form = {"csrf_token": csrf(browser, "/settings")} if token else {}
    if data is not None:
        form["picture"] = (io.BytesIO(data), filename)
    return browser.client.post("/settings/avatar", data=form, content_type="multipart/form-data")


def remove(browser, token: bool = True):
    form = {"csrf_token": csrf(browser, "/settings")} if token else {}
    return browser.client.post("/settings/avatar/remove", data=form)


def stored_count(upload_dir) -> int:
    if not upload_dir.exists():
        return 0
    return sum(1 for p in upload_dir.rglob("*") if p.is_file() and "incoming" not in p.parts)


def test_settings_offer_a_picture_upload(signed_in, member):
    html = signed_in.get("/settings").get_data(as_text=True)
    assert '<h2 id="picture-heading">Profile picture</h2>' in html
    assert 'action="/settings/avatar" enctype="multipart/form-data"' in html
    assert re.search(r'<input[^>]*accept="image/png,image/jpeg,image/webp"[^>]*id="picture"', html)
    assert '<label for="picture">New picture</label>' in html
    assert "up to 10 MB" in html
    assert '<span class="avatar avatar-' in html  # initials until there is a picture
    assert "Remove picture" not in html


def test_uploading_a_picture_shows_it_everywhere_as_a_square(signed_in, member, client):
    response = send_picture(signed_in, picture((500, 300)))
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    html = signed_in.get("/settings").get_data(as_text=True)
    assert "Your profile picture is saved." in html
    sha256 = reload(member).avatar_sha256
    assert sha256
    assert f'<img src="/media/{sha256}" alt="" class="avatar large" loading="lazy">' in html
    assert f'<img src="/media/{sha256}" alt="" class="avatar small" loading="lazy">' in html
    assert "Remove picture" in html
    served = client.get(f"/media/{sha256}")
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.data)).size == (256, 256)


def test_every_page_with_avatars_renders_the_picture(signed_in, member, communities):
    org = make_org("Riverside Trust")
    with atomic():
        user = db.session.get(type(member), member.id)
        user.organisation_id, user.organisation_other = org.id, ""
    send_picture(signed_in, picture())
    sha256 = reload(member).avatar_sha256
    signed_in.submit("/c/procurement", {}, action="/c/procurement/join")
    thread_id = start(reload(member), title="With a picture", body="Hello.")
    img = f'<img src="/media/{sha256}" alt="" class="avatar'
    for path in (
        f"/u/{member.id}",
        "/members",
        f"/orgs/{org.slug}",
        "/c/procurement/members",
        f"/t/{thread_id}",
        "/",
    ):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert img in response.get_data(as_text=True), path


def test_other_members_still_get_initials(signed_in, member):
    other = make_user("Bea Other", email="bea@example.org")
    send_picture(signed_in, picture())
    html = signed_in.get("/members").get_data(as_text=True)
    assert re.search(r'<span class="avatar avatar-\d+ " aria-hidden="true">BO</span>', html)
    assert other.avatar_sha256 is None


def test_replacing_the_picture_switches_to_the_new_one(signed_in, member):
    send_picture(signed_in, picture(colour=(200, 0, 0)))
    first = reload(member).avatar_sha256
    send_picture(signed_in, picture(colour=(0, 200, 0)), "new.jpg")
    second = reload(member).avatar_sha256
    assert second != first
    media = db.session.scalar(db.select(MediaFile).where(MediaFile.sha256 == second))
    assert media.content_type == "image/png"  # what the bytes are, not what the name says


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("me.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        ("me.png", b"<html><body>hi</body></html>", "web page markup"),
        ("cv.txt", b"Plain words.", "Only images (PNG, JPEG or WebP) can be uploaded here."),
        ("me.png", b"", "That file is empty."),
    ],
)
def test_a_refused_picture_is_explained_on_the_settings_page(
    signed_in, member, upload_dir, filename, data, message
):
    response = send_picture(signed_in, data, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in field_error(html, "picture")
    assert 'class="error-summary"' in html
    assert '<a href="#picture">' in html
    # The rest of the settings are all still there, filled in.
    assert 'value="Ada Member"' in html
    assert 'id="new_email"' in html
    assert 'id="new_password"' in html
    assert reload(member).avatar_sha256 is None
    assert stored_count(upload_dir) == 0


def test_a_refused_picture_keeps_the_previous_one(signed_in, member):
    send_picture(signed_in, picture())
    before = reload(member).avatar_sha256
    assert send_picture(signed_in, b"%PDF-1.4 nope", "me.pdf").status_code == 400
    assert reload(member).avatar_sha256 == before


def test_sending_no_file_asks_for_one(signed_in, member):
    response = send_picture(signed_in, None)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "picture") == "Choose a picture to upload."


def test_picture_upload_needs_the_csrf_token(signed_in, member, upload_dir):
    response = send_picture(signed_in, picture(), token=False)
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert reload(member).avatar_sha256 is None
    assert stored_count(upload_dir) == 0


def test_visitors_are_sent_to_sign_in(client, member, upload_dir):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/settings/avatar",
        data={"csrf_token": token, "picture": (io.BytesIO(picture()), "me.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert stored_count(upload_dir) == 0


def test_removing_the_picture_brings_the_initials_back(signed_in, member):
    send_picture(signed_in, picture())
    sha256 = reload(member).avatar_sha256
    response = remove(signed_in)
    assert response.status_code == 302
    assert reload(member).avatar_sha256 is None
    html = signed_in.get("/settings").get_data(as_text=True)
    assert "your initials show instead" in html
    assert f"/media/{sha256}" not in html
    assert '<span class="avatar avatar-' in html
    assert storage.exists(sha256)  # the file stays: the same bytes may be in a post


def test_removing_needs_the_csrf_token(signed_in, member):
    send_picture(signed_in, picture())
    assert remove(signed_in, token=False).status_code == 400
    assert reload(member).avatar_sha256 is not None


def test_settings_page_still_has_no_duplicate_ids_with_a_picture(signed_in, member):
    send_picture(signed_in, picture())
    html = signed_in.get("/settings").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
