"""Account actions, called directly."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from community.accounts import actions, passwords, rules
from community.accounts.models import User
from community.db import atomic, utcnow
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.mail import OutboundMail
from tests.accounts.conftest import make_org, reload, suspend
from tests.factories import PASSWORD, make_user


def queued_to(address: str) -> list[OutboundMail]:
    return list(
        db.session.scalars(
            select(OutboundMail).where(OutboundMail.to_addr == address).order_by(OutboundMail.id)
        )
    )


# --- passwords ------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id(app):
    user = make_user(password="a long enough secret")
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, "a long enough secret")


def test_the_hash_is_renewed_at_sign_in_when_the_parameters_change(app):
    user = make_user(email="rehash@example.org")
    old_hash = user.password_hash
    assert "m=8,t=1,p=1" in old_hash

    app.config["PASSWORD_HASH"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    signed_in = actions.authenticate("rehash@example.org", PASSWORD)
    assert actions.needs_new_hash(signed_in)
    with atomic():
        actions.upgrade_password_hash(signed_in.id, PASSWORD)

    new_hash = reload(user).password_hash
    assert new_hash != old_hash
    assert "m=16,t=2,p=1" in new_hash
    assert passwords.check_password(new_hash, PASSWORD)
    assert not passwords.needs_rehash(new_hash)
    # and signing in again with the new hash works and needs nothing more
    assert not actions.needs_new_hash(actions.authenticate("rehash@example.org", PASSWORD))
    assert reload(user).password_hash == new_hash


def test_a_wrong_password_does_not_renew_the_hash(app):
    user = make_user(email="rehash@example.org")
    app.config["PASSWORD_HASH"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    with pytest.raises(Invalid), atomic():
        actions.authenticate("rehash@example.org", "not the password")
    assert reload(user).password_hash == user.password_hash


# --- signing in -----------------------------------------------------------------------------


def test_unknown_email_and_wrong_password_fail_with_the_same_message(app):
    make_user(email="known@example.org")
    with pytest.raises(Invalid) as unknown:
        actions.authenticate("nobody@example.org", PASSWORD)
    with pytest.raises(Invalid) as wrong:
        actions.authenticate("known@example.org", "wrong password!")
    assert unknown.value.message == wrong.value.message == actions.SIGN_IN_FAILED
    assert unknown.value.field is None
    assert wrong.value.field is None


def test_sign_in_ignores_case_and_spaces_in_the_address(app):
    user = make_user(email="mixed@example.org")
    assert actions.authenticate("  MIXED@Example.ORG ", PASSWORD).id == user.id


def test_unconfirmed_account_is_told_to_confirm_and_gets_a_new_link(app):
    user = make_user(email="new@example.org", verified=False)
    assert len(queued_to("new@example.org")) == 1  # the registration's link
    with pytest.raises(actions.NotVerified) as exc:
        actions.authenticate("new@example.org", PASSWORD)
    assert exc.value.user_id == user.id
    assert "confirm your email address first" in exc.value.message
    with atomic():
        actions.resend_verification(exc.value.user_id)
    mails = queued_to("new@example.org")
    assert len(mails) == 2
    assert "/auth/verify/" in mails[-1].text_body


def test_unconfirmed_account_with_a_wrong_password_gets_the_usual_failure(app):
    make_user(email="new@example.org", verified=False)
    with pytest.raises(Invalid) as exc:
        actions.authenticate("new@example.org", "wrong password!")
    assert not isinstance(exc.value, actions.NotVerified)
    assert exc.value.message == actions.SIGN_IN_FAILED


def test_no_new_link_for_accounts_that_are_confirmed_or_suspended(app):
    confirmed = make_user()
    suspended = suspend(make_user(verified=False))
    before = db.session.scalar(select(func.count()).select_from(OutboundMail))
    with atomic():
        actions.resend_verification(confirmed.id)
        actions.resend_verification(suspended.id)
        actions.resend_verification(999_999)
    assert db.session.scalar(select(func.count()).select_from(OutboundMail)) == before


def test_suspended_account_cannot_sign_in(app):
    user = suspend(make_user(email="gone@example.org"))
    with pytest.raises(Forbidden, match="suspended"):
        actions.authenticate(user.email, PASSWORD)
    with pytest.raises(Invalid, match="do not match"):  # a wrong password says nothing more
        actions.authenticate(user.email, "wrong password!")


def test_sign_in_with_junk_addresses_matches_nothing(app):
    make_user(email="known@example.org")
    for junk in ["", "known@example.org\x00", "\x00", "x" * 10_000, "known@example.org" + "\x00"]:
        with pytest.raises(Invalid, match="do not match"):
            actions.authenticate(junk, PASSWORD)


# --- verification ---------------------------------------------------------------------------


def test_verifying_twice_keeps_the_first_time(app):
    user = make_user(verified=False)
    token = actions.make_token("verify", {"uid": user.id, "email": user.email})
    with atomic():
        first = actions.verify_email(token).verified_at
    with atomic():
        assert actions.verify_email(token).verified_at == first


def test_verification_link_for_an_old_address_is_refused(app):
    user = make_user(verified=False)
    token = actions.make_token("verify", {"uid": user.id, "email": "old@example.org"})
    with pytest.raises(Invalid, match="not valid"):
        actions.verify_email(token)


@pytest.mark.parametrize("uid", [None, "1", 10**20, -1, [1]])
def test_verification_tokens_with_odd_contents_are_refused(app, uid):
    token = actions.make_token("verify", {"uid": uid, "email": "x@example.org"})
    with pytest.raises(Invalid):
        actions.verify_email(token)


def test_a_token_for_one_purpose_does_not_work_for_another(app):
    user = make_user(verified=False)
    token = actions.make_token("email", {"uid": user.id, "email": user.email})
    with pytest.raises(Invalid):
        actions.verify_email(token)


# --- password reset -------------------------------------------------------------------------


def test_reset_mails_a_link_that_works_once(app):
    user = make_user(email="forgot@example.org")
    with atomic():
        actions.request_password_reset("Forgot@Example.org")
    [mail] = [m for m in queued_to("forgot@example.org") if "reset" in m.subject.lower()]
    token = mail.text_body.split("/auth/reset/")[1].split()[0]
    assert actions.user_for_reset_token(token).id == user.id
    with atomic():
        actions.reset_password(token, "a brand new password")
    assert passwords.check_password(reload(user).password_hash, "a brand new password")
    with pytest.raises(Invalid, match="already been used"):
        actions.user_for_reset_token(token)
    with pytest.raises(Invalid), atomic():
        actions.reset_password(token, "yet another password")


def test_reset_for_an_unknown_address_sends_nothing(app):
    with atomic():
        actions.request_password_reset("nobody@example.org")
    assert db.session.scalar(select(func.count()).select_from(OutboundMail)) == 0


def test_reset_link_of_a_suspended_account_stops_working(app):
    user = make_user()
    token = actions.make_token("reset", {"uid": user.id, "pw": actions._password_fingerprint(user)})
    assert actions.user_for_reset_token(token).id == user.id
    suspend(user)
    with pytest.raises(Invalid):
        actions.user_for_reset_token(token)


def test_reset_confirms_the_address_and_ends_other_sessions(app):
    user = make_user(verified=False)
    generation = user.session_generation
    token = actions.make_token("reset", {"uid": user.id, "pw": actions._password_fingerprint(user)})
    with atomic():
        actions.reset_password(token, "a brand new password")
    user = reload(user)
    assert user.verified_at is not None
    assert user.session_generation == generation + 1
    assert any("password was changed" in m.subject for m in queued_to(user.email))


def test_reset_refuses_a_short_password(app):
    user = make_user()
    token = actions.make_token("reset", {"uid": user.id, "pw": actions._password_fingerprint(user)})
    with pytest.raises(Invalid, match="at least 10"), atomic():
        actions.reset_password(token, "short")
    assert actions.user_for_reset_token(token).id == user.id  # still usable


# --- profile --------------------------------------------------------------------------------


def _profile(**overrides) -> dict:
    return {
        "display_name": "Ada Lovelace",
        "organisation": "other",
        "organisation_other": "Analytical Engines Ltd",
        "bio": "",
        "timezone": "Europe/London",
        **overrides,
    }


def test_member_updates_their_profile(app):
    org = make_org("Riverside Trust")
    user = make_user()
    with atomic():
        actions.update_profile(
            user,
            user.id,
            **_profile(
                display_name="  Ada   Lovelace ",
                organisation=str(org.id),
                organisation_other="ignored",
                bio="I work on **engines**.",
                timezone="America/New_York",
            ),
        )
    user = reload(user)
    assert user.display_name == "Ada Lovelace"
    assert user.sort_name == "ada lovelace"
    assert user.organisation_id == org.id
    assert user.organisation_other == ""
    assert user.organisation_name == "Riverside Trust"
    assert user.bio_html == "<p>I work on <strong>engines</strong>.</p>"
    assert user.timezone == "America/New_York"


def test_bio_html_is_sanitised(app):
    user = make_user()
    with atomic():
        actions.update_profile(
            user,
            user.id,
            **_profile(
                bio="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>"
            ),
        )
    html = reload(user).bio_html
    assert "<script" not in html
    assert "<img" not in html
    assert "href" not in html  # the javascript: link stays text
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_only_the_member_or_an_admin_may_change_a_profile(app):
    user, other, admin = make_user(), make_user(), make_user(admin=True)
    with pytest.raises(Forbidden), atomic():
        actions.update_profile(other, user.id, **_profile(display_name="Hijacked"))
    assert reload(user).display_name != "Hijacked"
    with atomic():
        actions.update_profile(admin, user.id, **_profile(display_name="Fixed By Admin"))
    assert reload(user).display_name == "Fixed By Admin"
    with pytest.raises(NotFound):
        actions.update_profile(admin, 999_999, **_profile())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": ""}, "organisation"),
        ({"organisation": None}, "organisation"),
        ({"organisation": "999999"}, "organisation"),
        ({"organisation": "99999999999999999999999"}, "organisation"),
        ({"organisation": "²"}, "organisation"),
        ({"organisation": "-1"}, "organisation"),
        ({"organisation": "other", "organisation_other": "   "}, "organisation_other"),
        ({"organisation": "other", "organisation_other": "x" * 201}, "organisation_other"),
        ({"display_name": "x"}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"display_name": "\x00\x00\x00"}, "display_name"),
        ({"display_name": "--- ..."}, "display_name"),
        ({"bio": "x" * 5001}, "bio"),
    ],
)
def test_bad_profile_input_names_the_field(app, overrides, field):
    user = make_user("Before Change")
    with pytest.raises(Invalid) as exc, atomic():
        actions.update_profile(user, user.id, **_profile(**overrides))
    assert exc.value.field == field
    assert reload(user).display_name == "Before Change"


def test_control_characters_are_dropped_from_profile_text(app):
    user = make_user()
    with atomic():
        actions.update_profile(
            user,
            user.id,
            **_profile(
                display_name="Ada\x00 Love\x07lace",
                organisation_other="Engines\x00 Ltd",
                bio="line one\x00\nline two",
            ),
        )
    user = reload(user)
    assert user.display_name == "Ada Lovelace"
    assert user.organisation_other == "Engines Ltd"
    assert user.bio == "line one\nline two"


# --- change of email and password -----------------------------------------------------------


def test_change_of_email_is_confirmed_from_the_new_address(app):
    user = make_user(email="old@example.org")
    with atomic():
        actions.request_email_change(user, new_email="New@Example.org", current_password=PASSWORD)
    user = reload(user)
    assert user.email == "old@example.org"
    assert user.pending_email == "new@example.org"
    [confirm] = queued_to("new@example.org")
    assert "/auth/email/" in confirm.text_body
    assert any("new@example.org" in m.text_body for m in queued_to("old@example.org"))

    token = confirm.text_body.split("/auth/email/")[1].split()[0]
    with atomic():
        actions.confirm_email_change(token)
    user = reload(user)
    assert user.email == "new@example.org"
    assert user.pending_email is None
    assert actions.find_user_by_email("old@example.org") is None
    with pytest.raises(Invalid, match="already been used"):
        actions.confirm_email_change(token)


def test_change_of_email_needs_the_current_password(app):
    user = make_user()
    with pytest.raises(Invalid) as exc, atomic():
        actions.request_email_change(
            user, new_email="new@example.org", current_password="wrong password"
        )
    assert exc.value.field == "current_password"
    assert reload(user).pending_email is None
    assert queued_to("new@example.org") == []


def test_change_to_a_taken_address_tells_its_owner_only(app):
    owner = make_user("Owner Person", email="taken@example.org")
    user = make_user(email="mine@example.org")
    mine_before = len(queued_to("mine@example.org"))
    with atomic():
        actions.request_email_change(user, new_email="taken@example.org", current_password=PASSWORD)
    assert reload(user).pending_email is None
    assert len(queued_to("mine@example.org")) == mine_before  # nothing that would reveal it
    notice = queued_to(owner.email)[-1]
    assert "/auth/email/" not in notice.text_body
    assert "Hello Owner Person" in notice.text_body
    assert "change that account's email address" in notice.text_body


def test_change_to_ones_own_address_is_refused(app):
    user = make_user(email="me@example.org")
    with pytest.raises(Invalid, match="already your address"):
        actions.request_email_change(user, new_email="ME@example.org", current_password=PASSWORD)


def test_address_taken_before_the_change_is_confirmed(app):
    user = make_user(email="mine@example.org")
    with atomic():
        actions.request_email_change(
            user, new_email="wanted@example.org", current_password=PASSWORD
        )
    token = queued_to("wanted@example.org")[0].text_body.split("/auth/email/")[1].split()[0]
    make_user(email="wanted@example.org")
    with pytest.raises(Invalid, match="Another account"), atomic():
        actions.confirm_email_change(token)
    assert reload(user).email == "mine@example.org"


def test_change_of_password_needs_the_current_one_and_ends_other_sessions(app):
    user = make_user()
    generation = user.session_generation
    with pytest.raises(Invalid) as exc, atomic():
        actions.change_password(
            user, current_password="wrong password", new_password="a new password here"
        )
    assert exc.value.field == "current_password"
    assert reload(user).session_generation == generation

    user = reload(user)
    with atomic():
        actions.change_password(user, current_password=PASSWORD, new_password="a new password here")
    user = reload(user)
    assert passwords.check_password(user.password_hash, "a new password here")
    assert user.session_generation == generation + 1
    with atomic():
        user = reload(user)
        actions.start_session(user)
    assert user.get_id() == f"{user.id}:{generation + 1}:{user.current_session_key}"


def test_new_password_must_follow_the_rules(app):
    user = make_user()
    with pytest.raises(Invalid) as exc, atomic():
        actions.change_password(user, current_password=PASSWORD, new_password="short")
    assert exc.value.field == "new_password"


# --- registration ---------------------------------------------------------------------------


def test_registration_with_an_organisation_from_the_list(app):
    org = make_org("Riverside Trust")
    with atomic():
        user = actions.register(
            email="sam@example.org",
            display_name="Sam",
            password=PASSWORD,
            organisation=str(org.id),
        )
    user = reload(user)
    assert user.organisation_id == org.id
    assert not user.is_verified
    assert user.timezone == "Europe/London"


def test_register_refuses_what_the_form_would(app):
    cases = [
        ({"email": "not an email"}, "email"),
        ({"display_name": "x"}, "display_name"),
        ({"password": "short"}, "password"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": "other", "organisation_other": ""}, "organisation_other"),
    ]
    for overrides, field in cases:
        data = {
            "email": "sam@example.org",
            "display_name": "Sam Okafor",
            "password": PASSWORD,
            "organisation": "other",
            "organisation_other": "Riverside",
            **overrides,
        }
        with pytest.raises(Invalid) as exc, atomic():
            actions.register(**data)
        assert exc.value.field == field, overrides
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- organisations, look-ups and rules ------------------------------------------------------


def test_organisations_get_unique_slugs_and_names(app):
    first = make_org("Café Ünïon")
    assert first.slug == "cafe-union"
    with pytest.raises(Invalid, match="already listed"), atomic():
        actions.create_organisation(name="CAFÉ ÜNÏON")
    second = make_org("Cafe Union!")
    assert second.slug == "cafe-union-2"
    with pytest.raises(Invalid, match="http"), atomic():
        actions.create_organisation(name="Bad Site", website="javascript:alert(1)")


def test_profiles_of_unconfirmed_or_suspended_members_are_hidden_except_from_admins(app):
    viewer, admin = make_user(), make_user(admin=True)
    unconfirmed, suspended = make_user(verified=False), suspend(make_user())
    for hidden in (unconfirmed, suspended):
        with pytest.raises(NotFound):
            actions.access_user(viewer, hidden.id)
        assert actions.access_user(admin, hidden.id).id == hidden.id
    for junk in (0, -5, 2**31, 10**30):
        with pytest.raises(NotFound):
            actions.access_user(viewer, junk)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (3600, "an hour"),
        (172800, "48 hours"),
        (1800, "30 minutes"),
        (60, "a minute"),
        (5, "a minute"),
    ],
)
def test_link_lifetime(seconds, words):
    assert actions.link_lifetime(seconds) == words


def test_rules_drop_control_characters_but_keep_newlines():
    assert rules.without_controls("a\x00b\nc\td\x1b") == "ab\nc\td"
    assert rules.without_controls(None) == ""
    assert rules.without_controls(["not", "text"]) == ""
    assert rules.one_line("  a \x00 b\n\nc ") == "a b c"
    assert rules.check_display_name("Zoë  O'Brien-Ñúñez") == "Zoë O'Brien-Ñúñez"
    assert rules.check_display_name("李明") == "李明"


def test_last_seen_is_written_at_most_every_few_minutes(app):
    user = make_user()
    assert actions.last_seen_is_stale(user)
    with atomic():
        actions.touch_last_seen(reload(user))
    assert not actions.last_seen_is_stale(reload(user))
    with atomic():
        reload(user).last_seen_at = utcnow().replace(year=2000)
    assert actions.last_seen_is_stale(reload(user))


def test_create_admin_promotes_and_confirms(app):
    user = make_user(email="boss@example.org", verified=False)
    with atomic():
        actions.create_admin("BOSS@example.org", None)
    user = reload(user)
    assert user.is_admin
    assert user.is_verified
    with atomic():
        fresh = actions.create_admin("new-admin@example.org", "an admin password")
    assert fresh.display_name == "new-admin"
    assert fresh.is_admin
    with pytest.raises(Invalid), atomic():
        actions.create_admin("nobody@example.org", None)


@pytest.mark.postgresql_only  # on SQLite the write lock taken by atomic() rules out the race
def test_registering_the_same_address_at_the_same_moment_is_no_error(app):
    """A double-clicked form: the other request inserts the address between our look-up and
    our insert. The second registration then ends quietly, like a taken address."""
    from sqlalchemy import event

    def other_request_registers_first(mapper, connection, target):
        with db.engine.connect() as other:
            other.execute(
                User.__table__.insert().values(
                    email=target.email, display_name="First Click", password_hash="x"
                )
            )
            other.commit()

    event.listen(User, "before_insert", other_request_registers_first)
    try:
        with atomic():
            result = actions.register(
                email="double@example.org",
                display_name="Second Click",
                password=PASSWORD,
                organisation="other",
                organisation_other="Somewhere",
            )
    finally:
        event.remove(User, "before_insert", other_request_registers_first)
    assert result is None
    [user] = db.session.scalars(select(User).where(User.email == "double@example.org"))
    assert user.display_name == "First Click"
