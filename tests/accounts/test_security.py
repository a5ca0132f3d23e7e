"""CSRF, junk input and headers on the account pages."""

import io

import pytest

from community.accounts.actions import _password_fingerprint, make_token
from community.accounts.models import User
from tests.accounts.conftest import is_signed_in, make_org, reload
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_user

ANONYMOUS_FORMS = ["/auth/login", "/auth/register", "/auth/reset"]
MEMBER_FORMS = ["/settings/profile", "/settings/email", "/settings/password", "/settings/sessions"]


def assert_form_expired(response):
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<h1>Form expired</h1>" in html
    assert "Traceback" not in html


@pytest.mark.parametrize("path", ANONYMOUS_FORMS)
def test_anonymous_forms_refuse_posts_without_a_token(client, member, path):
    data = {
        "email": member.email,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "display_name": "Someone New",
        "organisation": "other",
        "organisation_other": "Anywhere",
    }
    assert_form_expired(client.post(path, data=data))
    assert_form_expired(client.post(path, data={**data, "csrf_token": "forged"}))
    assert not is_signed_in(client)


@pytest.mark.parametrize("path", MEMBER_FORMS)
def test_member_forms_refuse_posts_without_a_token(signed_in, member, path):
    data = {
        "display_name": "Changed By Forgery",
        "organisation": "other",
        "organisation_other": "Evil",
        "timezone": "Asia/Tokyo",
        "new_email": "attacker@example.org",
        "current_password": PASSWORD,
        "new_password": "attacker password",
        "confirm": "attacker password",
    }
    before = reload(member)
    before = (
        before.display_name,
        before.pending_email,
        before.password_hash,
        before.session_generation,
    )
    assert_form_expired(signed_in.client.post(path, data=data))
    after = reload(member)
    assert (
        after.display_name,
        after.pending_email,
        after.password_hash,
        after.session_generation,
    ) == before
    assert is_signed_in(signed_in.client)


def test_a_token_from_another_browser_is_refused(app, signed_in, member):
    other = app.test_client()
    token = csrf_token(other, "/auth/login")
    response = signed_in.client.post(
        "/settings/profile",
        data={
            "csrf_token": token,
            "display_name": "Changed By Forgery",
            "organisation": "other",
            "organisation_other": "Evil",
            "timezone": "Europe/London",
        },
    )
    assert_form_expired(response)
    assert reload(member).display_name == "Ada Member"


def test_link_pages_need_a_token_to_act(client, app):
    user = make_user(verified=False)
    verify = make_token("verify", {"uid": user.id, "email": user.email})
    reset = make_token("reset", {"uid": user.id, "pw": _password_fingerprint(user)})
    assert_form_expired(client.post(f"/auth/verify/{verify}"))
    assert_form_expired(
        client.post(f"/auth/reset/{reset}", data={"password": "x" * 12, "confirm": "x" * 12})
    )
    assert_form_expired(client.post("/auth/logout"))
    user = reload(user)
    assert user.verified_at is None
    assert not is_signed_in(client)


def test_account_pages_send_the_security_headers(client):
    for path in ("/auth/login", "/auth/register", "/auth/reset", "/orgs"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_account_pages_have_no_inline_script_or_style(client, signed_in):
    pages = ["/auth/login", "/auth/register", "/auth/reset", "/settings", "/members", "/orgs"]
    for path in pages:
        html = signed_in.get(path).get_data(as_text=True)
        for inline in ("<script>", " onclick=", " style="):
            assert inline not in html, (path, inline)


# --- no input yields a 500 ------------------------------------------------------------------

JUNK_VALUES = [
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b@example.org",
    "😀" * 300,
    "\u202eevil\u202c",
    "Zoë ✓ 李明 عربي",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%00%ff",
    "Ã©Ã¿\xff\xfe",  # mojibake
    "99999999999999999999999999",
    "-1",
    "²",
    "١٢",
    "1e3",
    "abc",
    "other",
    "../../etc/passwd",
    "True",
]

FIELDS = {
    "/auth/register": [
        "email",
        "display_name",
        "organisation",
        "organisation_other",
        "password",
        "confirm",
    ],
    "/auth/login": ["email", "password", "remember", "next"],
    "/auth/reset": ["email"],
    "/settings/profile": ["display_name", "organisation", "organisation_other", "bio", "timezone"],
    "/settings/email": ["new_email", "current_password"],
    "/settings/password": ["current_password", "new_password", "confirm"],
    "/settings/sessions": [],
}

GOOD = {
    "email": "junk-tester@example.org",
    "display_name": "Junk Tester",
    "organisation": "other",
    "organisation_other": "Junk Ltd",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "remember": "y",
    "next": "/members",
    "bio": "bio",
    "timezone": "Europe/London",
    "new_email": "junk-new@example.org",
    "current_password": PASSWORD,
    "new_password": PASSWORD,
}


def _payloads(fields: list[str]):
    yield {}
    yield {f: GOOD[f] for f in fields}
    for field in fields:
        base = {f: GOOD[f] for f in fields}
        for value in JUNK_VALUES:
            yield {**base, field: value}
        yield {**base, field: [GOOD[field], "second value"]}
        yield {k: v for k, v in base.items() if k != field}


def _assert_no_server_error(response, path, data):
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (path, {k: str(v)[:40] for k, v in data.items()})
    assert "Something went wrong" not in body
    assert "Traceback" not in body


def test_junk_in_the_anonymous_forms_never_yields_a_500(app, browser, member):
    make_org("Listed Org")
    for path in ("/auth/register", "/auth/login", "/auth/reset"):
        for data in _payloads(FIELDS[path]):
            client = app.test_client()  # a fresh browser: a sign-in must not change the next
            token = csrf_token(client, path)
            response = client.post(path, data={"csrf_token": token, **data})
            _assert_no_server_error(response, path, data)


@pytest.mark.slow  # some 300 requests, each rendering the settings page
def test_junk_in_the_settings_forms_never_yields_a_500(app, member):
    for path in (
        "/settings/profile",
        "/settings/email",
        "/settings/password",
        "/settings/sessions",
    ):
        browser = Browser(app.test_client())
        browser.login(member.email)
        token = csrf_token(browser.client, "/auth/logout")  # one per session: fetch it once
        for data in _payloads(FIELDS[path]):
            response = browser.client.post(path, data={"csrf_token": token, **data})
            _assert_no_server_error(response, path, data)
        assert is_signed_in(browser.client)  # changing the password keeps this device in


def test_junk_in_the_reset_form_never_yields_a_500(app, member):
    browser = Browser(app.test_client())
    for data in _payloads(["password", "confirm"]):
        user = reload(member)
        token = make_token("reset", {"uid": user.id, "pw": _password_fingerprint(user)})
        response = browser.submit(f"/auth/reset/{token}", data)
        _assert_no_server_error(response, "reset", data)
        if response.status_code == 302:  # a usable password: the link did its work
            browser = Browser(app.test_client())


@pytest.mark.parametrize(
    "path",
    [
        "/auth/login?next=%00",
        "/auth/login?next=" + "x" * 5000,
        "/auth/login?next=%F0%9F%98%80",
        "/auth/login?next[]=1",
        "/auth/verify/%00",
        "/auth/verify/" + "a" * 5000,
        "/auth/verify/%F0%9F%98%80",
        "/auth/reset/%00.%00.%00",
        "/auth/email/..%2F..%2F",
        "/u/-1",
        "/u/0",
        "/u/99999999999999999999999999",
        "/u/abc",
        "/orgs/%00",
        "/orgs/%F0%9F%98%80",
        "/members?q=%00&after=%00",
        "/members?after=eyJhIjogMX0",
        "/members?q=%FF%FE",
    ],
)
def test_junk_urls_never_yield_a_500(signed_in, path):
    response = signed_in.get(path)
    _assert_no_server_error(response, path, {})


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/settings/profile"])
def test_odd_request_bodies_never_yield_a_500(signed_in, path):
    client = signed_in.client
    for kwargs in (
        {"json": {"email": "a@example.org", "password": ["x"]}},
        {"data": b"\xff\xfe\x00garbage", "content_type": "application/x-www-form-urlencoded"},
        {"data": "not=multipart", "content_type": "multipart/form-data"},
        {"data": {"email": (io.BytesIO(b"file"), "f.txt")}, "content_type": "multipart/form-data"},
        {"data": "x", "content_type": "text/plain"},
    ):
        response = client.post(path, **kwargs)
        _assert_no_server_error(response, path, {})


def test_registering_with_odd_but_valid_input_works(browser, outbox):
    response = browser.submit(
        "/auth/register",
        {
            "email": "zoë@exämple.org",
            "display_name": "  Zoë\x1b  李明 ",
            "organisation": "other",
            "organisation_other": "Ça\x07 Va Co-op",
            "password": "pässwörd 😀 long",
            "confirm": "pässwörd 😀 long",
        },
    )
    assert response.status_code == 200
    from community.extensions import db

    user = db.session.scalar(db.select(User).where(User.display_name == "Zoë 李明"))
    assert user is not None
    assert user.organisation_other == "Ça Va Co-op"
