"""Sign-in, registration and reset are rate-limited per client IP and per account."""

import pytest

from tests.accounts.conftest import is_signed_in
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user

LIMITS = {
    "login_ip": "6 per hour",
    "login_account": "3 per hour",
    "register_ip": "4 per hour",
    "register_account": "2 per hour",
    "reset_ip": "4 per hour",
    "reset_account": "2 per hour",
}


@pytest.fixture
def app_settings():
    # Memory storage: each test's app starts with empty counters.
    return {"RATELIMIT_ENABLED": True, "RATE_LIMITS": LIMITS}


def from_ip(ip: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": ip}}


def login(browser, email, password, ip):
    return browser.submit("/auth/login", {"email": email, "password": password}, **from_ip(ip))


def assert_too_many(response):
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "<h1>Too many requests</h1>" in html
    assert "Please wait a little and try again." in html
    assert "Traceback" not in html
    assert "per hour" not in html


def test_login_is_limited_per_ip(browser, app):
    for n in range(6):
        response = login(browser, f"nobody{n}@example.org", "wrong password", "10.0.0.1")
        assert response.status_code == 400
    assert_too_many(login(browser, "nobody9@example.org", "wrong password", "10.0.0.1"))
    # Another address is not affected...
    assert login(browser, "nobody9@example.org", "wrong password", "10.0.0.2").status_code == 400
    # ...and GET (showing the form) never is.
    assert browser.client.get("/auth/login", **from_ip("10.0.0.1")).status_code == 200


def test_login_is_limited_per_account_counting_only_failures(app):
    member = make_user(email="target@example.org")
    browser = Browser(app.test_client())

    # Signing in successfully does not use up the account's allowance.
    for n in range(4):
        assert login(browser, member.email, PASSWORD, f"10.1.0.{n}").status_code == 302
        browser.logout()

    # Failures from ever-changing addresses still add up for the account.
    for n in range(3):
        response = login(browser, "TARGET@example.org", f"guess number {n}", f"10.2.0.{n}")
        assert response.status_code == 400
    response = login(browser, member.email, PASSWORD, "10.2.0.99")
    assert_too_many(response)  # even the right password waits now
    assert not is_signed_in(browser.client)

    # Other accounts can still sign in from those addresses.
    other = make_user(email="other@example.org")
    assert login(browser, other.email, PASSWORD, "10.2.0.0").status_code == 302


def test_login_limit_does_not_lock_out_by_ip_before_the_account_limit(app):
    member = make_user(email="target@example.org")
    browser = Browser(app.test_client())
    for _n in range(2):
        assert login(browser, member.email, "wrong password", "10.3.0.1").status_code == 400
    assert login(browser, member.email, PASSWORD, "10.3.0.1").status_code == 302


def _register(browser, email, ip):
    data = {
        "email": email,
        "display_name": "Rate Tester",
        "organisation": "other",
        "organisation_other": "Somewhere",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    return browser.submit("/auth/register", data, **from_ip(ip))


def test_registration_is_limited_per_ip(app):
    for n in range(4):
        browser = Browser(app.test_client())
        assert _register(browser, f"new{n}@example.org", "10.4.0.1").status_code == 200
    assert_too_many(_register(Browser(app.test_client()), "new9@example.org", "10.4.0.1"))
    assert _register(Browser(app.test_client()), "new9@example.org", "10.4.0.2").status_code == 200


def test_registration_is_limited_per_address(app, outbox):
    for n in range(2):
        response = _register(Browser(app.test_client()), "Same@example.org", f"10.5.0.{n}")
        assert response.status_code == 200
    assert_too_many(_register(Browser(app.test_client()), "same@example.org ", "10.5.0.9"))
    # Two mails at most: the verification and one "already registered" notice.
    assert len(outbox.to("same@example.org")) == 2


def _reset(browser, email, ip):
    return browser.submit("/auth/reset", {"email": email}, **from_ip(ip))


def test_reset_is_limited_per_ip(browser):
    for n in range(4):
        assert _reset(browser, f"someone{n}@example.org", "10.6.0.1").status_code == 200
    assert_too_many(_reset(browser, "someone9@example.org", "10.6.0.1"))
    assert _reset(browser, "someone9@example.org", "10.6.0.2").status_code == 200


def test_reset_is_limited_per_address_so_no_one_floods_an_inbox(browser, outbox):
    member = make_user(email="flood@example.org")
    before = len(outbox.to(member.email))
    for n in range(2):
        assert _reset(browser, member.email, f"10.7.0.{n}").status_code == 200
    assert_too_many(_reset(browser, "FLOOD@example.org", "10.7.0.9"))
    assert len(outbox.to(member.email)) == before + 2


def test_rate_limited_requests_change_nothing(app):
    member = make_user(email="target@example.org")
    browser = Browser(app.test_client())
    for n in range(3):
        login(browser, member.email, "wrong password", f"10.8.0.{n}")
    response = login(browser, member.email, PASSWORD, "10.8.0.50")
    assert_too_many(response)
    assert "commons_remember" not in response.headers.get("Set-Cookie", "")
    assert not is_signed_in(browser.client)


class TestWhenTheCountsCannotBeReached:
    """Redis down (nothing listens at the storage's address): sign-in, registration and
    resets keep working, limited per process in memory until the storage is back."""

    @pytest.fixture
    def app_settings(self):
        return {
            "RATELIMIT_ENABLED": True,
            "RATE_LIMITS": LIMITS,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0",
        }

    def test_sign_in_still_works_and_is_still_limited(self, browser, app):
        member = make_user(email="target@example.org")
        assert login(browser, member.email, PASSWORD, "10.5.0.1").status_code == 302
        browser.logout()
        for n in range(6):
            response = login(browser, f"nobody{n}@example.org", "wrong password", "10.5.0.2")
            assert response.status_code == 400
        assert_too_many(login(browser, "nobody9@example.org", "wrong password", "10.5.0.2"))

    def test_registration_and_reset_still_answer(self, browser, app):
        response = browser.submit(
            "/auth/register",
            {
                "email": "new@example.org",
                "display_name": "New Member",
                "password": PASSWORD,
                "organisation": "other",
                "organisation_other": "Somewhere",
                "accept": "y",
            },
            **from_ip("10.5.0.3"),
        )
        assert response.status_code < 500
        response = browser.submit(
            "/auth/reset", {"email": "new@example.org"}, **from_ip("10.5.0.3")
        )
        assert response.status_code < 500
