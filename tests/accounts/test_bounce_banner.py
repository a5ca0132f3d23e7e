"""The bounced-address banner: shown on every page while the address is marked; the member
confirms it is right (POST with CSRF) or changes it, and either clears the mark."""

from community.accounts import actions
from community.accounts.models import User
from community.accounts.tokens import make_token
from community.db import atomic, utcnow
from community.extensions import db

BANNER = "has been refused several times, so we stopped sending it"


def mark_bounced(user_id: int) -> None:
    with atomic():
        user = db.session.get(User, user_id)
        user.bounce_count = 3
        user.email_bounced_at = utcnow()


def reload_user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_no_banner_for_a_working_address(signed_in):
    assert BANNER not in signed_in.get("/settings").get_data(as_text=True)


def test_the_banner_shows_and_the_confirm_button_clears_it(signed_in, member):
    mark_bounced(member.id)
    for url in ("/", "/settings"):
        html = signed_in.get(url, follow_redirects=True).get_data(as_text=True)
        assert f"Mail to {member.email} {BANNER}" in html
        assert 'href="/settings#email"' in html
        assert "It is right, try again" in html
    response = signed_in.submit("/settings", {}, action="/settings/email-confirm-working")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings#email")
    user = reload_user(member.id)
    assert user.email_bounced_at is None
    assert user.bounce_count == 0
    assert BANNER not in signed_in.get("/settings").get_data(as_text=True)


def test_the_confirm_button_needs_the_csrf_token(signed_in, member):
    mark_bounced(member.id)
    response = signed_in.client.post("/settings/email-confirm-working", data={})
    assert response.status_code == 400
    assert reload_user(member.id).email_bounced_at is not None


def test_the_confirm_button_needs_a_signed_in_member(client):
    response = client.post("/settings/email-confirm-working", data={})
    assert response.status_code in (302, 400, 401)


def test_changing_the_address_clears_the_mark(app, member):
    mark_bounced(member.id)
    with atomic():
        user = db.session.get(User, member.id)
        user.pending_email = "new-ada@example.org"
    token = make_token("email", {"uid": member.id, "email": "new-ada@example.org"})
    with atomic():
        actions.confirm_email_change(token)
    user = reload_user(member.id)
    assert user.email == "new-ada@example.org"
    assert user.email_bounced_at is None
    assert user.bounce_count == 0
