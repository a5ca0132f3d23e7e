"""One way to show a moment: "6 Dec 2026, 02:36 GMT", in the reader's zone (community/web.py)."""

from datetime import UTC, datetime

from flask import render_template_string

from community.accounts.forms import ProfileForm
from community.accounts.models import User
from community.extensions import db
from community.web import TIME_FORMAT, to_local, zone_names
from tests.factories import make_user


def test_zone_names_are_the_tz_database_names_by_offset():
    assert zone_names("Europe/London", 2026) == {0: "GMT", 60: "BST"}
    assert zone_names("Asia/Kolkata", 2026) == {330: "IST"}
    assert zone_names("UTC", 2026) == {0: "UTC"}


def test_a_visitor_sees_the_default_zone_named(app):
    app.config["DEFAULT_TIMEZONE"] = "America/New_York"  # the one place the default lives
    with app.test_request_context("/"):
        winter = render_template_string(
            "{{ t|localtime }}", t=datetime(2026, 12, 6, 2, 36, tzinfo=UTC)
        )
        summer = render_template_string(
            "{{ t|localtime }}", t=datetime(2026, 6, 6, 2, 36, tzinfo=UTC)
        )
    assert winter == "5 Dec 2026, 21:36 EST"
    assert summer == "5 Jun 2026, 22:36 EDT"


def test_the_member_s_zone_decides(app):
    with app.test_request_context("/"):
        moment = datetime(2026, 12, 6, 2, 36, tzinfo=UTC)
        assert to_local(moment, "Asia/Kolkata").strftime(TIME_FORMAT) == "6 Dec 2026, 08:06 IST"
        assert render_template_string("{{ t|localtime }}", t=moment) == "6 Dec 2026, 02:36 GMT"


def test_every_page_tells_its_scripts_the_zone(client):
    page = client.get("/").get_data(as_text=True)
    assert 'data-timezone="Europe/London"' in page
    assert 'data-zone-names="{&#34;0&#34;: &#34;GMT&#34;, &#34;60&#34;: &#34;BST&#34;}"' in page


def test_new_accounts_and_the_settings_form_take_the_default_zone(app):
    """DEFAULT_TIMEZONE is read in one place (config.default_timezone): the User model's
    default for new accounts (registration, admins, factories) and the settings form's."""
    app.config["DEFAULT_TIMEZONE"] = "Asia/Kolkata"
    user = make_user("Zed Zone", email="zed@example.org")
    assert db.session.get(User, user.id).timezone == "Asia/Kolkata"
    with app.test_request_context("/settings"):
        assert ProfileForm(formdata=None).timezone.data == "Asia/Kolkata"
