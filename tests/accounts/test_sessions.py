"""Sessions and remember-me cookies: ending every other one, and keeping the current one."""

from datetime import timedelta

import pytest

from community.accounts import actions, passwords
from community.accounts.models import User, UserSession
from community.db import atomic, utcnow
from community.extensions import db
from tests.accounts.conftest import is_signed_in, reload
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a different long password"
SESSION, REMEMBER = "commons_session", "commons_remember"


@pytest.fixture
def two_devices(app, member):
    """Device A signed in normally; device B signed in with "keep me signed in"."""
    a, b = Browser(app.test_client()), Browser(app.test_client())
    a.login(member.email)
    b.login(member.email, remember=True)
    assert is_signed_in(a.client)
    assert is_signed_in(b.client)
    return a, b


def only_remember_cookie(browser: Browser) -> Browser:
    """Forget the session cookie, as a browser does when it is closed."""
    browser.client.delete_cookie(SESSION)
    assert browser.client.get_cookie(SESSION) is None
    assert browser.client.get_cookie(REMEMBER) is not None
    return browser


def change_password(browser: Browser):
    return browser.submit(
        "/settings",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/settings/password",
    )


def sign_out_elsewhere(browser: Browser):
    return browser.submit("/settings", {}, action="/settings/sessions")


def test_the_remember_cookie_alone_keeps_a_device_signed_in(two_devices):
    _, b = two_devices
    assert is_signed_in(only_remember_cookie(b).client)
    # Flask-Login started a new session from the cookie; it keeps working without it too.
    b.client.delete_cookie(REMEMBER)
    assert is_signed_in(b.client)


@pytest.mark.parametrize("end_others", [change_password, sign_out_elsewhere])
def test_ending_other_sessions_signs_out_the_other_device(two_devices, member, end_others):
    a, b = two_devices
    generation = member.session_generation
    response = end_others(a)
    assert response.status_code == 302
    assert reload(member).session_generation == generation + 1
    assert is_signed_in(a.client)  # this device stays signed in
    assert not is_signed_in(b.client)  # the other does not, session cookie and all
    assert is_signed_in(a.client)


@pytest.mark.parametrize("end_others", [change_password, sign_out_elsewhere])
def test_ending_other_sessions_voids_their_remember_cookies(two_devices, end_others):
    a, b = two_devices
    only_remember_cookie(b)
    end_others(a)
    assert not is_signed_in(b.client)
    assert "Sign in" in b.get("/").get_data(as_text=True)


def test_the_device_that_changed_the_password_keeps_its_remember_cookie(app, member):
    a, b = Browser(app.test_client()), Browser(app.test_client())
    a.login(member.email, remember=True)
    b.login(member.email, remember=True)
    change_password(a)
    only_remember_cookie(a)  # A's cookie was renewed with the new generation
    only_remember_cookie(b)
    assert is_signed_in(a.client)
    assert not is_signed_in(b.client)


def test_a_stolen_session_cookie_stops_working_after_a_password_change(app, member):
    a = Browser(app.test_client())
    a.login(member.email, remember=True)
    stolen = {name: a.client.get_cookie(name).value for name in (SESSION, REMEMBER)}
    thief = app.test_client()
    for name, value in stolen.items():
        thief.set_cookie(name, value)
    assert is_signed_in(thief)
    change_password(a)
    assert not is_signed_in(thief)
    assert is_signed_in(a.client)


def test_password_reset_signs_out_every_other_device(app, outbox, member):
    b = Browser(app.test_client())
    b.login(member.email, remember=True)
    only_remember_cookie(b)
    stranger = Browser(app.test_client())
    stranger.submit("/auth/reset", {"email": member.email})
    [mail] = [m for m in outbox.to(member.email) if "Reset" in m["Subject"]]
    link = outbox.link(mail, "/auth/reset/")
    stranger.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert is_signed_in(stranger.client)
    assert not is_signed_in(b.client)


def test_signing_out_ends_only_this_device(two_devices):
    a, b = two_devices
    a.logout()
    assert not is_signed_in(a.client)
    assert a.client.get_cookie(REMEMBER) is None
    assert is_signed_in(b.client)


def test_signing_out_clears_the_remember_cookie(app, member):
    a = Browser(app.test_client())
    a.login(member.email, remember=True)
    a.logout()
    assert a.client.get_cookie(REMEMBER) is None
    assert not is_signed_in(a.client)


def test_other_members_sessions_are_untouched(app, member):
    other = make_user("Other Person")
    a, b = Browser(app.test_client()), Browser(app.test_client())
    a.login(member.email)
    b.login(other.email, remember=True)
    change_password(a)
    assert is_signed_in(b.client)
    assert passwords.check_password(reload(other).password_hash, PASSWORD)


def test_failed_password_change_ends_nothing(two_devices, member):
    a, b = two_devices
    response = a.submit(
        "/settings",
        {
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        action="/settings/password",
    )
    assert response.status_code == 400
    assert is_signed_in(b.client)


def test_sessions_form_without_csrf_token_ends_nothing(two_devices, member):
    a, b = two_devices
    generation = reload(member).session_generation
    response = a.client.post("/settings/sessions", data={})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert reload(member).session_generation == generation
    assert is_signed_in(b.client)


def test_forged_session_ids_are_anonymous(app, member):
    """Session ids are "<id>:<generation>:<key>" with an open session record's key; odd ones
    (only possible with the secret key) sign no one in."""
    from community.accounts.views import load_user

    with atomic():
        user = db.session.get(User, member.id)
        actions.start_session(user, "test")
        key = user.current_session_key
    generation = member.session_generation
    assert load_user(f"{member.id}:{generation}:{key}").id == member.id
    for session_id in (
        f"{member.id}:{generation}",  # the format of before the session records
        f"{member.id}:{generation}:",
        f"{member.id}:{generation}:not-the-key",
        f"{member.id}:0:{key}",
        f"{member.id + 1}:{generation}:{key}",  # another member's id with this key
        "x:1:k",
        "99999999999999999999:1:k",
        "",
        ":",
        "::",
    ):
        assert load_user(session_id) is None


def copied_cookies(browser: Browser, app) -> Browser:
    """Another client holding a copy of this browser's session and remember cookies."""
    thief = Browser(app.test_client())
    for name in (SESSION, REMEMBER):
        cookie = browser.client.get_cookie(name)
        if cookie is not None:
            thief.client.set_cookie(name, cookie.value)
    return thief


def assert_sent_to_sign_in(browser: Browser) -> None:
    response = browser.get("/settings")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("remember", [False, True])
def test_a_cookie_copied_before_sign_out_gets_nothing_after(app, member, remember):
    a = Browser(app.test_client())
    a.login(member.email, remember=remember)
    thief = copied_cookies(a, app)
    assert is_signed_in(thief.client)
    a.logout()
    assert_sent_to_sign_in(thief)
    assert_sent_to_sign_in(only_remember_cookie(thief) if remember else thief)
    assert [s.ended_at is not None for s in sessions(member)] == [True]


def sessions(member) -> list[UserSession]:
    db.session.rollback()
    return list(
        db.session.scalars(
            db.select(UserSession).where(UserSession.user_id == member.id).order_by(UserSession.id)
        )
    )


def test_each_sign_in_has_its_own_session_record(two_devices, member):
    a, b = two_devices
    records = sessions(member)
    assert len(records) == 2
    assert all(r.ended_at is None for r in records)
    assert len({r.key_hash for r in records}) == 2
    a.logout()
    assert [r.ended_at is not None for r in sessions(member)] == [True, False]
    assert is_signed_in(b.client)


@pytest.mark.parametrize("end_others", [change_password, sign_out_elsewhere])
def test_ending_other_sessions_ends_their_records_and_keeps_this_one(
    two_devices, member, end_others, published
):
    a, b = two_devices
    first, second = sessions(member)
    end_others(a)
    first, second = sessions(member)
    assert first.ended_at is None
    assert second.ended_at is not None
    assert ("__disconnect_session__", f"session:{second.id}", {"session_id": second.id}) in (
        published
    )
    assert is_signed_in(a.client)
    assert_sent_to_sign_in(b)


def test_suspension_ends_every_session_and_cookie(app, member, outbox, published):
    a = Browser(app.test_client())
    a.login(member.email, remember=True)
    thief = copied_cookies(a, app)
    admin = make_user("Site Admin", admin=True)
    with atomic():
        actions.suspend_member(db.session.get(User, admin.id), reload(member), "Spam.")
    [record] = sessions(member)
    assert record.ended_at is not None
    assert ("__disconnect_session__", f"session:{record.id}", {"session_id": record.id}) in (
        published
    )
    assert_sent_to_sign_in(a)
    assert_sent_to_sign_in(only_remember_cookie(thief))


def test_a_session_records_when_it_was_last_used(app, member):
    a = Browser(app.test_client())
    a.login(member.email)
    long_ago = utcnow() - timedelta(days=3)
    with atomic():
        [record] = db.session.scalars(db.select(UserSession))
        record.last_seen_at = long_ago
    assert is_signed_in(a.client)
    [record] = sessions(member)
    assert record.last_seen_at > long_ago + timedelta(days=2)
