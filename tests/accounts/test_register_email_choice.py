"""The registration form's short version of the email choices, and what each option stores."""

import re

import pytest

from community.accounts import actions as account_actions
from community.accounts.models import User
from community.db import utcnow
from community.digests import choices
from community.digests.choices import CATEGORIES, IMMEDIATELY, IN_DIGEST, NEVER
from community.digests.models import EmailChoice
from community.errors import Invalid
from community.extensions import db
from tests.accounts.conftest import field_error
from tests.factories import PASSWORD, make_user

EMAIL = "sam.okafor@example.org"
LABELS = {
    "weekly": "A weekly digest, and email at once when someone mentions you",
    "daily": "A daily digest, and the same",
    "none": "Only account email (sign-in links, password resets)",
}


def _register(browser, **overrides):
    data = {
        "email": "Sam.Okafor@Example.org",
        "display_name": "Sam Okafor",
        "organisation": "other",
        "organisation_other": "Riverside Enterprise",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }
    return browser.submit("/auth/register", {k: v for k, v in data.items() if v is not None})


def _registered() -> User:
    db.session.rollback()  # the request ran in its own session: see what it committed
    user = db.session.scalar(db.select(User).where(User.email == EMAIL))
    assert user is not None
    return user


def _radios(html: str) -> dict[str, str]:
    """Each email_choice radio's value -> its whole <input> tag."""
    tags = re.findall(r'<input[^>]*name="email_choice"[^>]*>', html)
    return {re.search(r'value="([^"]*)"', t).group(1): t for t in tags}


# The defaults the options' wording describes (choices.REGISTRATION_CHOICES' hints).
DEFAULTS = {
    "mentions": IMMEDIATELY,
    "replies": IN_DIGEST,
    "resources": IMMEDIATELY,
    "events": IMMEDIATELY,
    "moderation": IMMEDIATELY,
    "announcements": IMMEDIATELY,
}


@pytest.mark.parametrize("value", ["weekly", "daily"])
def test_a_digest_option_sets_its_frequency_and_keeps_the_defaults(browser, communities, value):
    response = _register(browser, email_choice=value)
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    user = _registered()
    assert user.digest_frequency == value
    assert choices.deliveries_of(user) == DEFAULTS
    assert choices.delivery(user, "mentions") == IMMEDIATELY
    assert choices.delivery(user, "replies") == IN_DIGEST


def test_only_account_email_turns_the_digest_off_and_every_category_to_never(browser, communities):
    assert _register(browser, email_choice="none").status_code == 200
    user = _registered()
    assert user.digest_frequency == "off"
    assert choices.deliveries_of(user) == dict.fromkeys(CATEGORIES, NEVER)
    user.verified_at = utcnow()  # even once confirmed, nothing optional is mailed
    for category in CATEGORIES:
        assert not choices.wants_mail_now(user, category)


def test_a_post_without_the_choice_means_weekly(browser, communities):
    assert _register(browser, email_choice=None).status_code == 200
    user = _registered()
    assert user.digest_frequency == "weekly"
    assert choices.deliveries_of(user) == DEFAULTS
    stored = db.session.scalar(
        db.select(db.func.count()).select_from(EmailChoice).where(EmailChoice.user_id == user.id)
    )
    assert stored == 0  # the defaults themselves, not a copy of them


@pytest.mark.parametrize("value", ["monthly", ""])
def test_an_invalid_choice_is_a_clear_error_and_the_form_is_kept(browser, communities, value):
    response = _register(browser, email_choice=value, organisation_other="Riverside")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    message = "Choose which email you would like from Commons."
    assert field_error(html, "email_choice") == message
    assert f'<a href="#email_choice">{message}</a>' in html  # in the error summary too
    assert 'value="Sam.Okafor@Example.org"' in html
    assert 'value="Sam Okafor"' in html
    assert 'value="Riverside"' in html
    assert PASSWORD not in html
    db.session.rollback()
    assert db.session.scalar(db.select(User).where(User.email == EMAIL)) is None


def test_the_form_shows_weekly_checked_and_the_three_options(browser, communities):
    html = browser.get("/auth/register").get_data(as_text=True)
    fieldset = re.search(r'<fieldset[^>]*id="email_choice".*?</fieldset>', html, re.S)
    assert fieldset is not None
    fieldset = fieldset.group(0)
    assert "<legend>Email from Commons</legend>" in fieldset
    radios = _radios(fieldset)
    assert list(radios) == ["weekly", "daily", "none"]
    assert " checked" in radios["weekly"]
    assert " checked" not in radios["daily"]
    assert " checked" not in radios["none"]
    for n, (value, label) in enumerate(LABELS.items()):
        assert f'<label for="email_choice-{n}">{label}</label>' in fieldset
        assert f'aria-describedby="email_choice-{n}-hint"' in radios[value]
        hint = choices.REGISTRATION_CHOICES[value].hint
        assert f'<p class="hint" id="email_choice-{n}-hint">{hint}</p>' in fieldset


def test_a_refused_form_keeps_the_option_chosen(browser, communities):
    html = _register(browser, email_choice="daily", confirm="different").get_data(as_text=True)
    radios = _radios(html)
    assert " checked" in radios["daily"]
    assert " checked" not in radios["weekly"]


def test_registering_a_taken_address_leaves_the_owners_choices_alone(browser, communities):
    owner = make_user(email=EMAIL)
    assert _register(browser, email_choice="none").status_code == 200
    db.session.rollback()
    owner = db.session.get(User, owner.id)
    assert owner.digest_frequency == "weekly"
    assert choices.deliveries_of(owner) == DEFAULTS


def test_the_action_refuses_an_unknown_choice(app, communities):
    with pytest.raises(Invalid) as caught:
        account_actions.register(
            email=EMAIL,
            display_name="Sam Okafor",
            password=PASSWORD,
            organisation="other",
            organisation_other="Riverside",
            email_choice="monthly",
        )
    assert caught.value.field == "email_choice"
    assert db.session.scalar(db.select(User).where(User.email == EMAIL)) is None
