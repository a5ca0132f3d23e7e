from community.accounts.models import User
from community.extensions import db
from tests.factories import PASSWORD, make_user


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
    return browser.submit("/auth/register", data)


def test_register_verify_and_sign_in(browser, outbox, communities):
    response = _register(browser)
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    user = db.session.scalar(db.select(User).where(User.email == "sam.okafor@example.org"))
    assert user is not None
    assert user.verified_at is None

    [message] = outbox.to("sam.okafor@example.org")
    link = outbox.link(message, "/auth/verify/")
    assert browser.get(link).status_code == 200  # GET only shows the button
    db.session.expire_all()
    assert db.session.get(User, user.id).verified_at is None

    response = browser.submit(link, {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).verified_at is not None
    assert "Sam Okafor" in browser.get("/").get_data(as_text=True)


def test_registering_a_taken_address_looks_the_same_and_mails_the_owner(
    browser, outbox, communities
):
    owner = make_user(email="taken@example.org")
    outbox.deliver()  # the owner's own verification mail
    before = len(outbox.messages())
    response = _register(browser, email="TAKEN@example.org")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    messages = outbox.deliver()[before:]
    assert [m["To"] for m in messages] == [owner.email]
    assert "already" in outbox.text(messages[0])
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_bad_registration_keeps_what_was_typed(browser, communities):
    response = _register(browser, email="not-an-email", confirm="different password")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a valid email address" in html
    assert "The passwords do not match" in html
    assert 'value="not-an-email"' in html
    assert 'value="Sam Okafor"' in html
    assert PASSWORD not in html  # passwords are never echoed back


def test_unknown_organisation_is_refused(browser, communities):
    response = _register(browser, organisation="999999")
    assert response.status_code == 400
    assert "not on the list" in response.get_data(as_text=True)


def test_over_long_fields_get_a_message_not_a_500(browser, communities):
    response = _register(browser, display_name="x" * 500, email="a" * 300 + "@example.org")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 80 characters" in html
    assert "at most 254 characters" in html


def test_a_bot_filling_the_honeypot_is_answered_as_usual_and_nothing_is_made(
    browser, outbox, communities
):
    form = browser.get("/auth/register").get_data(as_text=True)
    assert 'class="honeypot" aria-hidden="true"' in form
    assert 'name="website" tabindex="-1"' in form
    response = _register(browser, website="http://cheap-pills.example")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "sam.okafor@example.org")) is None
    assert outbox.deliver() == []
