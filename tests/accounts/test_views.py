"""Account pages over HTTP: sign-in, reset, settings, profiles and the directories."""

import re
from html import unescape

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from community.accounts import passwords
from community.accounts.models import User
from community.db import atomic
from community.extensions import db
from tests.accounts.conftest import (
    field_error,
    is_signed_in,
    make_org,
    reload,
    suspend,
)
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a different long password"


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- signing in -----------------------------------------------------------------------------


def test_login_page_has_labelled_fields(client):
    html = client.get("/auth/login").get_data(as_text=True)
    for field_id in ("email", "password", "remember"):
        assert f'id="{field_id}"' in html
    assert '<label for="email">Email address</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'href="/auth/reset"' in html
    assert 'href="/auth/register"' in html


def test_wrong_password_and_unknown_email_look_the_same(browser, member):
    wrong = browser.submit("/auth/login", {"email": member.email, "password": "wrong one!"})
    unknown = browser.submit("/auth/login", {"email": "nobody@example.org", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 400
    message = "That email and password do not match an account."
    assert message in text_of(wrong)
    assert message in text_of(unknown)

    def without_email(response):  # the typed address is kept, so take it out to compare
        html = response.get_data(as_text=True)
        html = html.replace(member.email, "EMAIL").replace("nobody@example.org", "EMAIL")
        return re.sub(r'value="[^"]{40,}"', "", html)  # the CSRF token differs

    assert without_email(wrong) == without_email(unknown)
    assert 'value="nobody@example.org"' in unknown.get_data(as_text=True)
    assert not is_signed_in(browser.client)


def test_sign_in_and_out(browser, member):
    response = browser.login(member.email)
    assert response.headers["Location"] == "/"
    assert "Ada Member" in browser.get("/").get_data(as_text=True)
    assert browser.get("/auth/logout").status_code == 200  # GET only asks
    assert is_signed_in(browser.client)
    response = browser.submit("/auth/logout", {})
    assert response.status_code == 302
    assert not is_signed_in(browser.client)
    assert "You are signed out." in text_of(browser.get("/"))


def test_unconfirmed_account_is_asked_to_confirm_and_sent_a_new_link(browser, outbox):
    user = make_user(email="fresh@example.org", verified=False)
    assert len(outbox.to("fresh@example.org")) == 1
    response = browser.submit("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Please confirm your email address first" in text_of(response)
    assert not is_signed_in(browser.client)
    mails = outbox.to("fresh@example.org")
    assert len(mails) == 2
    link = outbox.link(mails[-1], "/auth/verify/")
    assert browser.submit(link, {}).status_code == 302  # the new link works
    assert is_signed_in(browser.client)


def test_suspended_account_is_refused(browser):
    user = suspend(make_user(email="gone@example.org"))
    response = browser.submit("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "This account is suspended" in text_of(response)
    assert not is_signed_in(browser.client)


def test_suspending_ends_an_open_session(signed_in, member):
    assert is_signed_in(signed_in.client)
    suspend(member)
    assert not is_signed_in(signed_in.client)


@pytest.mark.parametrize("target", ["/members", "/u/1?tab=x#top", "/orgs/some-org"])
def test_next_is_honoured_for_site_paths(browser, member, target):
    response = browser.submit(
        f"/auth/login?next={target}",
        {"email": member.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example",
        "http://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " //evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil.example",
        "https:evil.example",
        "",
    ],
)
def test_next_refuses_open_redirects(browser, member, target):
    response = browser.submit(
        "/auth/login", {"email": member.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_login_page_carries_next_through_the_form(client, member):
    response = client.get("/members")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/auth/login?next=")
    html = client.get(login_url).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/members"' in html
    browser = Browser(client)
    response = browser.submit(
        login_url, {"email": member.email, "password": PASSWORD, "next": "/members"}
    )
    assert response.headers["Location"] == "/members"


def test_signed_in_member_visiting_login_goes_to_next_or_home(signed_in):
    assert signed_in.get("/auth/login").headers["Location"] == "/"
    assert signed_in.get("/auth/login?next=/members").headers["Location"] == "/members"
    assert signed_in.get("/auth/login?next=//evil.example").headers["Location"] == "/"


def _set_cookie(response, name: str) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return header


def test_remember_me_sets_a_safe_long_lived_cookie(browser, member):
    response = browser.login(member.email, remember=True)
    cookie = _set_cookie(response, "commons_remember")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    assert "Secure" not in cookie  # the test site is plain http
    session = _set_cookie(response, "commons_session")
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


def test_without_remember_me_no_remember_cookie(browser, member):
    response = browser.login(member.email)
    assert not any(
        h.startswith("commons_remember=") for h in response.headers.getlist("Set-Cookie")
    )


def test_remember_cookie_alone_signs_the_member_in(client, member):
    Browser(client).login(member.email, remember=True)
    client.delete_cookie("commons_session")
    assert is_signed_in(client)


def test_cookies_are_secure_when_the_site_is_https(database_url, tmp_path, member):
    from tests.conftest import make_test_app

    https_app = make_test_app(database_url, tmp_path / "https", SITE_URL="https://commons.test")
    try:
        client = https_app.test_client()
        response = Browser(client).login(member.email, remember=True)
        assert "Secure" in _set_cookie(response, "commons_remember")
        assert "Secure" in _set_cookie(response, "commons_session")
    finally:
        with https_app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- passwords ------------------------------------------------------------------------------


def test_sign_in_renews_an_outdated_hash(browser, app, member):
    old_hash = member.password_hash
    app.config["PASSWORD_HASH"] = {"time_cost": 2, "memory_cost": 32, "parallelism": 2}
    browser.login(member.email)
    new_hash = reload(member).password_hash
    assert new_hash.startswith("$argon2id$")
    assert "m=32,t=2,p=2" in new_hash
    assert new_hash != old_hash
    assert passwords.check_password(new_hash, PASSWORD)
    browser.logout()
    browser.login(member.email)  # still signs in


# --- verification links ---------------------------------------------------------------------


def test_verification_link_signs_in_only_while_it_confirms(browser, outbox, client):
    user = make_user(email="fresh@example.org", verified=False)
    [mail] = outbox.to(user.email)
    link = outbox.link(mail, "/auth/verify/")
    assert browser.submit(link, {}).status_code == 302
    assert is_signed_in(client)
    browser.logout()

    # A used link is no longer a way in: it says so and asks the member to sign in.
    response = browser.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "already confirmed" in text_of(browser.get("/auth/login"))
    assert not is_signed_in(client)


@pytest.mark.parametrize("prefix", ["/auth/verify/", "/auth/reset/", "/auth/email/"])
def test_forged_links_show_the_link_problem_page(client, prefix):
    forged = URLSafeTimedSerializer("not-our-key", salt="commons.verify").dumps({"uid": 1})
    for token in (forged, "nonsense", "a.b.c", "x" * 3000):
        response = client.get(prefix + token)
        assert response.status_code == 400
        html = text_of(response)
        assert "That link does not work" in html
        assert "This link is not valid" in html


# --- password reset -------------------------------------------------------------------------


def test_password_reset_end_to_end(browser, outbox, client, member):
    page = browser.get("/auth/reset").get_data(as_text=True)
    assert '<label for="email">Email address</label>' in page
    response = browser.submit("/auth/reset", {"email": "ADA@example.org"})
    assert response.status_code == 200
    html = text_of(response)
    assert "Check your inbox" in html
    assert "The link works for an hour" in html

    [mail] = [m for m in outbox.to(member.email) if "Reset" in m["Subject"]]
    link = outbox.link(mail, "/auth/reset/")
    assert "The link works for an hour and only once" in outbox.text(mail)
    form = browser.get(link)
    assert form.status_code == 200
    assert "Choose a new password" in text_of(form)

    response = browser.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Your password is changed and you are signed in." in text_of(browser.get("/"))
    assert is_signed_in(client)
    assert passwords.check_password(reload(member).password_hash, NEW_PASSWORD)
    assert any("password was changed" in m["Subject"] for m in outbox.to(member.email))

    # The link has done its work.
    browser.logout()
    used = browser.get(link)
    assert used.status_code == 400
    assert "already been used" in text_of(used)
    assert (
        browser.submit("/auth/login", {"email": member.email, "password": PASSWORD}).status_code
        == 400
    )
    browser.login(member.email, NEW_PASSWORD)


def test_reset_link_expires(browser, outbox, app, member):
    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - app.config["RESET_TOKEN_MAX_AGE"] - 60

    from community.accounts.actions import _password_fingerprint

    token = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="commons.reset", signer=LongAgo
    ).dumps({"uid": member.id, "pw": _password_fingerprint(member)})
    response = browser.get(f"/auth/reset/{token}")
    assert response.status_code == 400
    assert "This link has expired. Please ask for a new one." in text_of(response)
    response = browser.client.post(
        f"/auth/reset/{token}",
        data={"csrf_token": "x", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert passwords.check_password(reload(member).password_hash, PASSWORD)


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(browser, outbox, member):
    before = len(outbox.deliver())
    known = browser.submit("/auth/reset", {"email": member.email})
    unknown = browser.submit("/auth/reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert "Check your inbox" in text_of(unknown)
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "EMAIL")  # noqa: E731
    assert strip(known, member.email) == strip(unknown, "nobody@example.org")
    sent = outbox.deliver()[before:]
    assert [m["To"] for m in sent] == [member.email]


def test_reset_form_errors_keep_the_link_working(browser, outbox, member):
    browser.submit("/auth/reset", {"email": member.email})
    [mail] = [m for m in outbox.to(member.email) if "Reset" in m["Subject"]]
    link = outbox.link(mail, "/auth/reset/")
    response = browser.submit(link, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert response.status_code == 400
    assert "The passwords do not match." in text_of(response)
    response = browser.submit(link, {"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "at least 10 characters" in text_of(response)
    assert (
        browser.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    )


def test_reset_request_with_a_malformed_address_says_so(browser):
    response = browser.submit("/auth/reset", {"email": "not an address"})
    assert response.status_code == 400
    assert field_error(text_of(response), "email").startswith("Enter a valid email address")


# --- settings: profile ----------------------------------------------------------------------


def _profile_form(**overrides) -> dict:
    return {
        "display_name": "Ada Lovelace",
        "organisation": "other",
        "organisation_other": "Analytical Engines",
        "bio": "",
        "timezone": "Europe/London",
        **overrides,
    }


def test_settings_need_a_signed_in_member(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_settings_page_shows_the_current_profile(signed_in, member):
    org = make_org("Riverside Trust")
    with atomic():
        user = db.session.get(User, member.id)
        user.organisation_id, user.organisation_other = org.id, ""
    html = signed_in.get("/settings").get_data(as_text=True)
    assert 'value="Ada Member"' in html
    assert f'<option selected value="{org.id}">Riverside Trust</option>' in html
    assert '<option selected value="Europe/London">Europe/London</option>' in html
    assert "ada@example.org" in html
    for label in (
        "Your name",
        "Organisation",
        "About you",
        "Time zone",
        "New email address",
        "Current password",
        "New password",
        "Repeat the new password",
    ):
        assert label in html, label


def test_settings_page_has_no_duplicate_ids(signed_in):
    html = signed_in.get("/settings").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for label_for in re.findall(r'<label for="([^"]+)"', html):
        assert label_for in ids


def test_time_zones_offered_are_real_places(signed_in):
    html = signed_in.get("/settings").get_data(as_text=True)
    zones = re.findall(r'<option (?:selected )?value="([^"]+)">', html.split('id="timezone"')[1])
    assert "Europe/London" in zones
    assert "UTC" in zones
    assert "America/New_York" in zones
    for odd in ("localtime", "Factory", "US/Eastern", "Etc/GMT+5", "GB"):
        assert odd not in zones
    assert '<option value="America/New_York">America/New York</option>' in html


def test_profile_update(signed_in, member):
    org = make_org("Riverside Trust")
    response = signed_in.submit(
        "/settings",
        _profile_form(organisation=str(org.id), bio="I *love* engines.", timezone="Asia/Tokyo"),
        action="/settings/profile",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    assert "Your profile is saved." in text_of(signed_in.get("/settings"))
    user = reload(member)
    assert user.display_name == "Ada Lovelace"
    assert user.organisation_id == org.id
    assert user.timezone == "Asia/Tokyo"
    html = signed_in.get(f"/u/{member.id}").get_data(as_text=True)
    assert "<em>love</em>" in html
    assert 'href="/orgs/riverside-trust"' in html


def test_profile_with_other_organisation(signed_in, member):
    signed_in.submit(
        "/settings", _profile_form(organisation_other="Tiny Co-op"), action="/settings/profile"
    )
    user = reload(member)
    assert user.organisation_id is None
    assert user.organisation_name == "Tiny Co-op"
    html = signed_in.get("/settings").get_data(as_text=True)
    assert '<option selected value="other">' in html
    assert 'value="Tiny Co-op"' in html
    assert "Tiny Co-op" in signed_in.get(f"/u/{member.id}").get_data(as_text=True)


def test_script_in_a_bio_never_appears_raw(signed_in, member):
    bio = '<script>alert("x")</script>\n\n<b onmouseover="steal()">hi</b> [a](javascript:alert(1))'
    signed_in.submit("/settings", _profile_form(bio=bio), action="/settings/profile")
    viewer = Browser(signed_in.client.application.test_client())
    viewer.login(make_user().email)
    html = viewer.get(f"/u/{member.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<b onmouseover" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html
    # The settings page shows the source, escaped, in the textarea.
    settings = signed_in.get("/settings").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in settings


def test_bad_profile_input_keeps_what_was_typed(signed_in, member):
    response = signed_in.submit(
        "/settings",
        _profile_form(
            display_name="x",
            bio="My carefully typed bio",
            timezone="Mars/Olympus_Mons",
            organisation="other",
            organisation_other="Typed Org",
        ),
        action="/settings/profile",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "display_name") == "Your name needs at least 2 characters."
    assert field_error(html, "timezone") == "Choose a time zone from the list."
    assert 'aria-describedby="display_name-error"' in html
    assert 'aria-invalid="true"' in html
    assert "My carefully typed bio" in html
    assert 'value="Typed Org"' in html
    assert 'value="x"' in html
    assert reload(member).display_name == "Ada Member"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"organisation": "abc"}, "organisation", "That organisation is not on the list."),
        ({"organisation": ""}, "organisation", "Choose your organisation, or choose Other."),
        ({"organisation": "999999"}, "organisation", "That organisation is not on the list."),
        ({"organisation": "9" * 40}, "organisation", "That organisation is not on the list."),
        ({"organisation_other": ""}, "organisation_other", "Type the name of your organisation."),
        ({"bio": "b" * 5001}, "bio", "Your bio can have at most 5,000 characters."),
        ({"display_name": "y" * 81}, "display_name", "Your name can have at most 80 characters."),
    ],
)
def test_profile_field_errors(signed_in, overrides, field, message):
    response = signed_in.submit("/settings", _profile_form(**overrides), action="/settings/profile")
    assert response.status_code == 400
    assert field_error(text_of(response), field) == message


def test_registration_shows_every_mistake_at_once(browser):
    response = browser.submit(
        "/auth/register",
        {
            "email": "bad",
            "display_name": "Sam",
            "organisation": "",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    html = text_of(response)
    assert response.status_code == 400
    assert field_error(html, "email").startswith("Enter a valid email address")
    assert field_error(html, "organisation") == "Choose your organisation, or choose Other."


# --- settings: email ------------------------------------------------------------------------


def test_change_of_email(signed_in, outbox, member, client):
    before = len(outbox.deliver())
    response = signed_in.submit(
        "/settings",
        {"new_email": "Ada.New@Example.org", "current_password": PASSWORD},
        action="/settings/email",
    )
    assert response.status_code == 302
    page = text_of(signed_in.get("/settings"))
    assert "We have sent a link to ada.new@example.org" in page
    assert "We are waiting for you to confirm <strong>ada.new@example.org</strong>" in page

    sent = outbox.deliver()[before:]
    [confirm] = [m for m in sent if m["To"] == "ada.new@example.org"]
    [notice] = [m for m in sent if m["To"] == "ada@example.org"]
    assert "ada.new@example.org" in outbox.text(notice)
    assert "/auth/email/" not in outbox.text(notice)
    link = outbox.link(confirm, "/auth/email/")

    # GET only shows the button; nothing changes until the POST.
    page = signed_in.get(link)
    assert page.status_code == 200
    assert "ada.new@example.org" in text_of(page)
    assert 'type="submit"' in page.get_data(as_text=True)
    assert reload(member).email == "ada@example.org"

    response = signed_in.submit(link, {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    assert "Your email address is changed." in text_of(signed_in.get("/settings"))
    user = reload(member)
    assert user.email == "ada.new@example.org"
    assert user.pending_email is None

    signed_in.logout()
    signed_in.login("ada.new@example.org")
    assert signed_in.get(link).status_code == 400  # used


def test_change_of_email_link_works_from_a_signed_out_browser(signed_in, outbox, member, app):
    signed_in.submit(
        "/settings",
        {"new_email": "other@example.org", "current_password": PASSWORD},
        action="/settings/email",
    )
    link = outbox.link(outbox.to("other@example.org")[0], "/auth/email/")
    stranger = Browser(app.test_client())
    response = stranger.submit(link, {})
    assert response.headers["Location"] == "/auth/login"
    assert reload(member).email == "other@example.org"


def test_change_to_a_taken_address_reveals_nothing(signed_in, outbox, member):
    make_user("Taken Owner", email="taken@example.org")
    before = len(outbox.deliver())
    taken = signed_in.submit(
        "/settings",
        {"new_email": "taken@example.org", "current_password": PASSWORD},
        action="/settings/email",
    )
    taken_page = text_of(signed_in.get("/settings"))
    free = signed_in.submit(
        "/settings",
        {"new_email": "free@example.org", "current_password": PASSWORD},
        action="/settings/email",
    )
    free_page = text_of(signed_in.get("/settings"))
    assert taken.status_code == free.status_code == 302
    assert "We have sent a link to taken@example.org" in taken_page
    assert "We have sent a link to free@example.org" in free_page
    sent = outbox.deliver()[before:]
    to_taken = [m for m in sent if m["To"] == "taken@example.org"]
    assert len(to_taken) == 1
    assert "/auth/email/" not in outbox.text(to_taken[0])
    assert reload(member).pending_email == "free@example.org"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"new_email": "new@example.org", "current_password": "wrong"},
            "email_current_password",
            "That is not your current password.",
        ),
        (
            {"new_email": "new@example.org", "current_password": ""},
            "email_current_password",
            "Enter your current password.",
        ),
        (
            {"new_email": "nope", "current_password": PASSWORD},
            "new_email",
            "Enter a valid email address, like name@example.org.",
        ),
        (
            {"new_email": "ADA@example.org", "current_password": PASSWORD},
            "new_email",
            "That is already your address.",
        ),
    ],
)
def test_change_of_email_errors(signed_in, member, data, field, message):
    response = signed_in.submit("/settings", data, action="/settings/email")
    assert response.status_code == 400
    html = text_of(response)
    assert field_error(html, field) == message
    if data["new_email"] != "ADA@example.org":
        assert f'value="{data["new_email"]}"' in html
    assert reload(member).pending_email is None


# --- settings: password ---------------------------------------------------------------------


def test_change_of_password_needs_the_current_one(signed_in, member, outbox):
    response = signed_in.submit(
        "/settings",
        {
            "current_password": "not it at all",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        action="/settings/password",
    )
    assert response.status_code == 400
    assert (
        field_error(text_of(response), "current_password") == "That is not your current password."
    )
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    assert passwords.check_password(reload(member).password_hash, PASSWORD)

    response = signed_in.submit(
        "/settings",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": "mismatch!!"},
        action="/settings/password",
    )
    assert response.status_code == 400
    assert field_error(text_of(response), "confirm") == "The passwords do not match."

    response = signed_in.submit(
        "/settings",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        action="/settings/password",
    )
    assert response.status_code == 302
    assert "Your password is changed." in text_of(signed_in.get("/settings"))
    assert passwords.check_password(reload(member).password_hash, NEW_PASSWORD)
    assert any("password was changed" in m["Subject"] for m in outbox.to(member.email))


# --- profiles -------------------------------------------------------------------------------


def test_profiles_need_sign_in_and_hide_unlisted_members(signed_in, client, member):
    hidden = make_user(verified=False)
    gone = suspend(make_user())
    assert signed_in.get(f"/u/{member.id}").status_code == 200
    assert signed_in.get(f"/u/{hidden.id}").status_code == 404
    assert signed_in.get(f"/u/{gone.id}").status_code == 404
    assert signed_in.get("/u/99999999999999999999999").status_code == 404
    assert signed_in.get("/u/0").status_code == 404
    signed_in.logout()
    assert client.get(f"/u/{member.id}").status_code == 302


def test_profile_page(signed_in, member):
    html = signed_in.get(f"/u/{member.id}").get_data(as_text=True)
    assert "<h1>Ada Member</h1>" in html
    assert '<span class="avatar' in html
    assert ">AM</span>" in html
    assert "Member since" in html
    assert 'href="/settings"' in html  # their own page links to settings
    assert "ada@example.org" not in html.split("<main")[1]  # the address stays private


# --- directories ----------------------------------------------------------------------------


def test_member_directory_needs_sign_in(client):
    response = client.get("/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_member_directory_search(signed_in, member):
    riverside = make_org("Riverside Enterprise Trust")
    make_user("Bea Brown", organisation=str(riverside.id))
    make_user("Cal Green", organisation_other="Hilltop Co-op")
    make_user("Élise Dubois")
    make_user("Hidden Unconfirmed", verified=False)
    suspend(make_user("Hidden Suspended"))

    def names(query: str) -> list[str]:
        html = text_of(signed_in.get("/members", query_string={"q": query}))
        return re.findall(r'<a href="/u/\d+">([^<]+)</a>', html.split("<main")[1])

    everyone = names("")
    assert everyone == ["Ada Member", "Bea Brown", "Cal Green", "Élise Dubois"]
    assert names("brown") == ["Bea Brown"]
    assert names("RIVERSIDE") == ["Bea Brown"]
    assert names("hilltop") == ["Cal Green"]
    assert names("élise") == ["Élise Dubois"]
    assert names("ÉLISE") == ["Élise Dubois"]
    assert names("hidden") == []
    assert names("%") == []
    assert names("_") == []
    html = text_of(signed_in.get("/members", query_string={"q": "zzz"}))
    assert "No members match “zzz”." in html


def test_member_directory_pages_through_everyone(signed_in, member):
    for i in range(104):  # many equal names: the id must break ties across pages
        make_user(f"Person {i % 7}")
    suspend(make_user("Person 3 Suspended"))
    make_user("Person 3 Unconfirmed", verified=False)
    expected = {
        u.id
        for u in db.session.scalars(
            db.select(User).where(User.verified_at.is_not(None), User.suspended_at.is_(None))
        )
    }
    assert len(expected) == 105

    seen: list[int] = []
    url, pages = "/members", 0
    while url:
        html = signed_in.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'<a href="/u/(\d+)">', html.split("<main")[1])]
        match = re.search(r'<a class="button secondary" href="([^"]+)">Next page</a>', html)
        url = unescape(match.group(1)) if match else None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 105
    assert set(seen) == expected


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "%%%",
        "WyJcdTAwMDAiLDFd",
        "WyJhIiwgOTk5OTk5OTk5OTk5OTk5OTk5XQ",
        "W10",
        "bnVsbA",
        "WzEsMl0",
        "x" * 5000,
    ],
)
def test_malformed_cursor_shows_the_first_page(signed_in, member, cursor):
    response = signed_in.get("/members", query_string={"after": cursor})
    assert response.status_code == 200
    assert "Ada Member" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["x" * 10_000, "😀", "\u202e", "' OR 1=1 --"])
def test_odd_searches_do_not_fail(signed_in, query):
    assert signed_in.get("/members", query_string={"q": query}).status_code == 200


@pytest.mark.parametrize("query", ["\x00", "a\x00b"])
def test_nul_bytes_in_a_search_get_a_clear_400(signed_in, query):
    response = signed_in.get("/members", query_string={"q": query})
    assert response.status_code == 400
    assert "character this site cannot accept" in text_of(response)


def test_organisation_directory(client, browser):
    riverside = make_org("Riverside Trust", kind="NHS trust", region="North West")
    empty = make_org("Quiet Partnership", kind="", description="No one yet.")
    make_user("Bea Brown", organisation=str(riverside.id))
    make_user("Cal Green", organisation=str(riverside.id))
    make_user("Not Yet", organisation=str(riverside.id), verified=False)
    suspend(make_user("Gone Away", organisation=str(riverside.id)))

    html = text_of(client.get("/orgs"))
    assert "NHS trust · North West · 2 members" in html  # only listed members count
    assert "0 members" in html
    assert 'href="/orgs/riverside-trust"' in html
    assert 'href="/orgs/quiet-partnership"' in html

    page = text_of(client.get("/orgs/riverside-trust"))
    assert "<h1>Riverside Trust</h1>" in page
    assert "Sign in" in page
    assert "Bea Brown" not in page

    browser.login(make_user().email)
    page = text_of(browser.get("/orgs/riverside-trust"))
    assert "Bea Brown" in page
    assert "Cal Green" in page
    assert "Not Yet" not in page
    assert "Gone Away" not in page
    page = text_of(browser.get(f"/orgs/{empty.slug}"))
    assert "No members from this organisation yet." in page
    assert '<p class="meta"></p>' not in page


@pytest.mark.parametrize("slug", ["no-such-org", "UPPER", "x" * 500, "a/b"])
def test_unknown_organisation_is_404(client, slug):
    response = client.get(f"/orgs/{slug}")
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


def test_organisation_page_paginates(browser):
    org = make_org("Big Partnership")
    for i in range(55):
        make_user(f"Worker {i:02d}", organisation=str(org.id))
    browser.login(make_user().email)
    first = browser.get("/orgs/big-partnership").get_data(as_text=True)
    match = re.search(r'href="([^"]+)">Next page</a>', first)
    assert match
    second = text_of(browser.get(unescape(match.group(1))))
    assert "Worker 54" in second
    assert "Worker 00" not in second


def test_admins_see_why_a_profile_is_hidden_from_others(browser):
    unconfirmed = make_user("Not Confirmed", verified=False)
    suspended = suspend(make_user("Was Suspended"))
    browser.login(make_user(admin=True).email)
    assert "Email address not confirmed yet" in text_of(browser.get(f"/u/{unconfirmed.id}"))
    page = text_of(browser.get(f"/u/{suspended.id}"))
    assert "· Suspended" in page
    assert "not confirmed" not in page


def test_verifying_a_suspended_account_does_not_sign_it_in(browser, outbox, client):
    user = make_user(email="fresh@example.org", verified=False)
    link = outbox.link(outbox.to(user.email)[0], "/auth/verify/")
    suspend(user)
    response = browser.submit(link, {})
    assert response.headers["Location"] == "/auth/login"
    assert "this account is suspended" in text_of(browser.get("/auth/login"))
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("prefix", "next_step"),
    [
        ("/auth/verify/", 'href="/auth/login"'),
        ("/auth/reset/", 'href="/auth/reset"'),
        ("/auth/email/", 'href="/settings"'),
    ],
)
def test_link_problem_page_says_how_to_get_a_new_link(client, prefix, next_step):
    html = client.get(prefix + "broken").get_data(as_text=True)
    assert next_step in html.split("<main")[1]


def test_signing_in_renews_an_outdated_password_hash(app, browser):
    user = make_user(email="rehash-view@example.org")
    old_hash = user.password_hash
    app.config["PASSWORD_HASH"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    browser.login(user.email)
    new_hash = reload(user).password_hash
    assert "m=16,t=2,p=1" in new_hash
    assert new_hash != old_hash
