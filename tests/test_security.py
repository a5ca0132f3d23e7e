"""Security baseline of every page: headers, cookies, error pages that leak nothing."""

import logging
import re
from html.parser import HTMLParser

import pytest
from flask import Blueprint, abort
from werkzeug.middleware.proxy_fix import ProxyFix

from community.errors import Forbidden
from community.extensions import db, limiter
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user

SECRET_DETAIL = "connection to /srv/secret-db-host failed: password=hunter2"

# Routes that exist only in these tests, to provoke the errors a real page can run into.
probe = Blueprint("probe", __name__)


@probe.get("/_probe/boom")
def boom():
    raise RuntimeError(SECRET_DETAIL)


@probe.get("/_probe/forbidden")
def forbidden():
    abort(403)


@probe.get("/_probe/not-yours")
def not_yours():
    raise Forbidden("Only the thread's author can edit it.")


@probe.get("/_probe/bad")
def bad():
    abort(400)


@probe.get("/_probe/limited")
@limiter.limit("1 per day")
def limited():
    return "ok"


@pytest.fixture
def app_settings():
    return {
        "PROPAGATE_EXCEPTIONS": False,  # as in production: a 500 page, not a raised error
        "MAX_CONTENT_LENGTH": 4096,
        "RATELIMIT_ENABLED": True,
    }


@pytest.fixture
def app_blueprints():
    return (probe,)


@pytest.fixture
def probed(app):
    return app


def cookie_attributes(response, name: str) -> dict[str, str | bool]:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    attributes = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.lower()] = value or True
    return attributes


def assert_leaks_nothing(body: str) -> None:
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret-db-host", 'File "', ".py"):
        assert leak not in body


# --- headers ---------------------------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d.strip()
    }


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/no/such/page"])
def test_html_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.mimetype == "text/html"
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_the_500_page_carries_the_security_headers_too(probed, client):
    response = client.get("/_probe/boom")
    assert response.status_code == 500
    assert csp_directives(response)["script-src"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


class _Inline(HTMLParser):
    """Finds what the Content-Security-Policy would block: inline scripts, handlers, styles."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{name}= on <{tag}>")


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/no/such/page"])
def test_pages_need_nothing_the_policy_blocks(client, path):
    parser = _Inline()
    parser.feed(client.get(path).get_data(as_text=True))
    assert parser.found == []


def test_https_requests_get_strict_transport_security(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- cookies ---------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(client):
    response = client.get("/auth/login")  # the CSRF token lives in the session
    attributes = cookie_attributes(response, "commons_session")
    assert attributes["httponly"] is True
    assert attributes["samesite"] == "Lax"
    assert "secure" not in attributes


def _sign_in(client, email: str, base_url: str, remember: bool):
    html = client.get("/auth/login", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    # Over https Flask-WTF also wants a same-site Referer, as a browser sends.
    referer = {"Referer": f"{base_url}/auth/login"}
    response = client.post("/auth/login", data=data, base_url=base_url, headers=referer)
    assert response.status_code == 302
    return response


def test_cookies_are_secure_when_the_site_is_served_over_https(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "instance", SITE_URL="https://commons.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    with app.app_context():
        try:
            user = make_user()
            response = _sign_in(app.test_client(), user.email, "https://localhost", True)
            for name in ("commons_session", "commons_remember"):
                attributes = cookie_attributes(response, name)
                assert attributes["secure"] is True, name
                assert attributes["httponly"] is True, name
                assert attributes["samesite"] == "Lax", name
        finally:
            from tests.conftest import empty_all_tables

            db.session.remove()
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()


def test_remember_cookie_is_httponly_and_lax_over_http(app, client):
    user = make_user()
    response = _sign_in(client, user.email, "http://localhost", True)
    attributes = cookie_attributes(response, "commons_remember")
    assert attributes["httponly"] is True
    assert attributes["samesite"] == "Lax"
    assert "secure" not in attributes


def _visitor_pages(communities) -> list[str]:
    from tests.threads.helpers import start

    author = make_user(communities=("procurement",))
    thread_id = start(author, title="Social value in tenders")
    return ["/", "/c/procurement", f"/t/{thread_id}", "/search?q=social", "/resources"]


def test_a_visitor_is_given_no_session(client, communities):
    """A visitor's pages set no cookie (a shared cache may keep them); they still say
    `Vary: Cookie`, which is true: a member's page at the same address differs."""
    for path in _visitor_pages(communities):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" in response.vary, path
        assert client.get_cookie("commons_session") is None, path


def test_a_form_that_needs_a_token_issues_it_and_signing_in_works(client, communities):
    user = make_user()
    assert "Set-Cookie" not in client.get("/").headers
    response = client.get("/auth/login")
    assert client.get_cookie("commons_session") is not None
    assert cookie_attributes(response, "commons_session")["httponly"] is True
    assert _sign_in(client, user.email, "http://localhost", False).status_code == 302
    assert 'action="/auth/logout"' in client.get("/").get_data(as_text=True)


def test_a_members_pages_do_not_send_the_session_again(client, communities):
    """The session cookie is sent when it changes (signing in), not with every page."""
    user = make_user(communities=("procurement",))
    _sign_in(client, user.email, "http://localhost", False)
    for path in _visitor_pages(communities):
        client.get(path)  # a first visit may record what it read
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert 'action="/auth/logout"' in response.get_data(as_text=True), path


def test_a_visitor_posting_without_a_session_is_refused(client, communities):
    response = client.post("/auth/login", data={"csrf_token": "made-up", "email": "a@b.c"})
    assert response.status_code == 400
    assert "This form had expired" in response.get_data(as_text=True)


# --- error pages -----------------------------------------------------------------------------


def test_an_unexpected_error_gives_the_500_page_and_is_logged(probed, client, caplog):
    with caplog.at_level(logging.ERROR, logger="community.web"):
        response = client.get("/_probe/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert_leaks_nothing(body)
    assert "unhandled error on GET /_probe/boom" in caplog.text
    assert SECRET_DETAIL in caplog.text  # the details go to the log, not to the visitor


def test_the_500_answer_is_json_for_json_clients(probed, client):
    response = client.get("/_probe/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.is_json
    assert set(response.get_json()) == {"error"}
    assert_leaks_nothing(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/_probe/bad", 400, "Bad request"),
        ("/_probe/forbidden", 403, "You do not have permission to do that."),
        ("/_probe/not-yours", 403, "Only the thread&#39;s author can edit it."),
        ("/no/such/page", 404, "Page not found"),
        ("/c/finance/join", 405, "does not accept this kind of request"),
    ],
)
def test_error_pages_are_ours(probed, client, path, status, text):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert text in body
    assert 'class="skip-link"' in body  # the site's own layout, not werkzeug's page
    assert_leaks_nothing(body)


def test_405_keeps_the_allow_header(client):
    response = client.get("/c/finance/join")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_a_request_that_is_too_large_gets_the_413_page(client):
    response = client.post("/auth/login", data={"email": "a@b.c", "password": "x" * 10_000})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "larger than this site accepts" in body
    assert_leaks_nothing(body)


def test_too_many_requests_gets_the_429_page(probed, client):
    assert client.get("/_probe/limited").status_code == 200
    response = client.get("/_probe/limited")
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "You have tried that too often" in body
    assert "Retry-After" in response.headers
    assert_leaks_nothing(body)


def test_a_form_without_its_csrf_token_gets_a_clear_400(client):
    response = client.post("/auth/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "This form had expired or came from another site" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"), [("/no/such/page", 404), ("/_probe/forbidden", 403), ("/_probe/bad", 400)]
)
def test_json_clients_get_json_errors(probed, client, path, status):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.is_json
    assert isinstance(response.get_json()["error"], str)


# --- proxies ---------------------------------------------------------------------------------


def test_forwarded_scheme_is_ignored_without_trusted_proxies(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_a_trusted_proxy_is_believed_and_wraps_socketio_too(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "instance", TRUSTED_PROXIES=1)
    # Outermost: Socket.IO's middleware sits inside it, so socket requests are fixed up too.
    assert isinstance(app.wsgi_app, ProxyFix)
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    with app.app_context():
        db.engine.dispose()


# --- Socket.IO origin check ------------------------------------------------------------------

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


@pytest.mark.parametrize(
    ("origin", "status"),
    [("http://localhost", 200), ("http://evil.example", 400), ("null", 400)],
)
def test_socketio_accepts_only_the_sites_own_origin(client, origin, status):
    response = client.get(HANDSHAKE, headers={"Origin": origin})
    assert response.status_code == status
    if status == 200:
        assert response.get_data(as_text=True).startswith('0{"sid"')


@pytest.mark.parametrize(
    ("origin", "status"), [("https://commons.example", 200), ("https://evil.example", 400)]
)
def test_socketio_origin_check_works_behind_a_trusted_proxy(database_url, tmp_path, origin, status):
    """Behind a TLS-terminating proxy the app sees http and an internal host; the browser's
    Origin is the public https address."""
    app = make_test_app(
        database_url,
        tmp_path / "instance",
        TRUSTED_PROXIES=1,
        SITE_URL="https://commons.example",
    )
    proxy_headers = {
        "Host": "127.0.0.1:8000",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "commons.example",
        "X-Forwarded-For": "203.0.113.9",
        "Origin": origin,
    }
    response = app.test_client().get(HANDSHAKE, headers=proxy_headers)
    assert response.status_code == status
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "url", ["/c/%00", "/c/procurement/members?after=%00", "/members?q=a%00b", "/orgs/x%00"]
)
def test_nul_bytes_in_a_request_get_a_clear_400(client, communities, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "character this site cannot accept" in response.get_data(as_text=True)


def test_nul_bytes_in_a_form_get_a_clear_400(browser, communities):
    response = browser.submit("/auth/login", {"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
