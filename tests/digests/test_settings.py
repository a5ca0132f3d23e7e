"""The email choices on /settings: every category, the digest's schedule and communities."""

from sqlalchemy import select

from community.accounts.models import User
from community.communities.models import Community
from community.digests.choices import deliveries_of
from community.digests.models import DigestExclusion
from community.extensions import db
from tests.communities.helpers import fresh

ACTION = "/settings/email-choices"


def choices(**overrides) -> dict:
    data = {
        "delivery_mentions": "immediately", "delivery_replies": "digest",
        "delivery_resources": "immediately", "delivery_events": "immediately",
        "delivery_moderation": "immediately", "delivery_announcements": "immediately",
        "digest_frequency": "weekly", "digest_day": "0", "digest_hour": "8",
    }  # fmt: skip
    return {**data, **overrides}


def community_id(slug: str) -> int:
    return db.session.scalar(select(Community.id).where(Community.slug == slug))


def member(user: User) -> User:
    fresh()
    return db.session.get(User, user.id)


def test_the_settings_page_shows_the_current_choices(browser, alice):
    browser.login("alice@example.org")
    page = browser.get("/settings").get_data(as_text=True)
    assert 'id="email-choices"' in page
    assert 'name="delivery_mentions" type="radio" value="immediately" checked' in page or (
        'checked id="delivery_mentions-0"' in page
    )
    assert "Communities in my digest" in page
    assert "Procurement" in page


def test_saving_every_choice(browser, alice):
    browser.login("alice@example.org")
    health = community_id("health")
    procurement = community_id("procurement")
    data = choices(delivery_mentions="digest", delivery_events="never",
                   digest_frequency="daily", digest_day="3", digest_hour="17")  # fmt: skip
    data["included"] = [str(procurement)]
    response = browser.submit("/settings", data, action=ACTION)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings#email-choices")
    user = member(alice)
    assert deliveries_of(user)["mentions"] == "digest"
    assert deliveries_of(user)["events"] == "never"
    assert (user.digest_frequency, user.digest_day, user.digest_hour) == ("daily", 3, 17)
    assert db.session.get(DigestExclusion, (alice.id, health)) is not None
    assert db.session.get(DigestExclusion, (alice.id, procurement)) is None


def test_a_bad_value_is_refused_with_the_form_kept(browser, alice):
    browser.login("alice@example.org")
    response = browser.submit(
        "/settings", choices(delivery_mentions="sometimes", digest_hour="17"), action=ACTION
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert '<option selected value="17">' in page or 'value="17" selected' in page
    assert member(alice).digest_hour == 8


def test_a_post_without_its_csrf_token_is_refused(browser, alice):
    browser.login("alice@example.org")
    response = browser.client.post(ACTION, data=choices(digest_frequency="off"))
    assert response.status_code == 400
    assert member(alice).digest_frequency == "weekly"


def test_resuming_after_stopping_all_email(browser, alice):
    from community.db import atomic, utcnow

    with atomic():
        db.session.get(User, alice.id).email_stopped_at = utcnow()
    browser.login("alice@example.org")
    assert "You stopped all email" in browser.get("/settings").get_data(as_text=True)
    browser.submit("/settings", choices(resume="y"), action=ACTION)
    assert member(alice).email_stopped_at is None


def test_settings_need_a_signed_in_member(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
