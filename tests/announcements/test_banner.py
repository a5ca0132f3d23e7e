"""The banner on every page: in its window only, for its audience, dismissible per member,
shown to visitors without writing anything for them, and cheap to ask for."""

from datetime import timedelta

from flask import g
from sqlalchemy import event, select

from community.announcements import banner
from community.announcements.models import Announcement, AnnouncementDismissal
from community.db import atomic, utcnow
from community.extensions import db
from tests.announcements.conftest import HOUR, announce
from tests.communities.helpers import csrf, fresh
from tests.conftest import Browser
from tests.factories import make_user


def shows(client, title: str, path: str = "/") -> bool:
    page = client.get(path)
    assert page.status_code == 200
    return f'<h2 class="announcement-title">{title}</h2>' in page.get_data(as_text=True)


def test_the_banner_shows_in_its_window_only(client, admin):
    now = utcnow()
    announce(admin, title="Showing now")
    announce(admin, title="Not yet", starts=now + HOUR, ends=now + 2 * HOUR)
    ended = announce(admin, title="Over")
    with atomic():
        row = db.session.get(Announcement, ended.id)
        row.banner_from, row.banner_until = now - 2 * HOUR, now - HOUR
    announce(admin, title="No banner at all", banner=False)
    page = client.get("/").get_data(as_text=True)
    assert "Showing now" in page
    assert "We move on <strong>Monday</strong>." in page  # the rendered Markdown
    for title in ("Not yet", "Over", "No banner at all"):
        assert title not in page


def test_the_banner_is_on_every_page_just_under_the_header(client, admin):
    announce(admin, title="Everywhere")
    for path in ("/", "/events", "/resources", "/auth/login", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert "Everywhere" in page, path
        assert page.index("</header>") < page.index("Everywhere") < page.index('<main id="main"')


def test_the_process_copy_is_read_again_when_a_banner_starts_or_ends(app, admin):
    now = utcnow()
    later = announce(admin, title="Later", starts=now + HOUR, ends=now + 2 * HOUR)
    assert banner.showing(now) == []
    assert later.id in [b.id for b in banner.showing(now + HOUR + timedelta(seconds=1))]
    assert later.id not in [b.id for b in banner.showing(now + 2 * HOUR)]


def test_a_community_announcement_is_for_its_members_only(client, browser, admin, alice, bob):
    announce(admin, title="Procurement news", audience="procurement")
    announce(admin, title="For all", audience="everyone")
    assert not shows(client, "Procurement news")  # signed out
    assert shows(client, "For all")
    browser.login(alice.email)
    assert shows(client, "Procurement news")
    assert shows(client, "For all")
    browser.logout()
    browser.login(bob.email)
    assert not shows(client, "Procurement news")
    assert shows(client, "For all")


def test_an_admin_outside_the_community_does_not_see_its_banner(client, browser, admin):
    announce(admin, title="Procurement news", audience="procurement")
    browser.login(admin.email)
    assert not shows(client, "Procurement news")


def test_a_withdrawn_announcement_leaves_the_banner(client, browser, admin):
    from community.announcements import actions

    made = announce(admin, title="Oops")
    assert shows(client, "Oops")
    with atomic():
        actions.withdraw_announcement(db.session.get(type(admin), admin.id), made.id)
    assert not shows(client, "Oops")


def dismiss_path(announcement_id: int) -> str:
    return f"/announcements/{announcement_id}/dismiss"


def test_dismissing_hides_it_for_that_member_only_and_returns_to_the_page(
    app, browser, admin, alice
):
    made = announce(admin, title="Dismiss me")
    other = make_user("Carol Member", email="carol@example.org")
    browser.login(alice.email)
    page = browser.get("/events").get_data(as_text=True)
    assert f'action="{dismiss_path(made.id)}"' in page
    assert '<input type="hidden" name="next" value="/events">' in page
    answer = browser.client.post(
        dismiss_path(made.id),
        data={"csrf_token": csrf(browser.client, "/events"), "next": "/events"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/events"
    assert not shows(browser.client, "Dismiss me", "/events")
    assert not shows(browser.client, "Dismiss me")
    fresh()
    assert db.session.get(AnnouncementDismissal, (made.id, alice.id)) is not None
    carol = app.test_client()
    Browser(carol).login(other.email)
    assert shows(carol, "Dismiss me")


def test_dismissing_twice_is_harmless_and_an_outside_next_is_ignored(browser, admin, alice):
    made = announce(admin, title="Twice")
    browser.login(alice.email)
    token = csrf(browser.client, "/")
    for _ in range(2):
        answer = browser.client.post(
            dismiss_path(made.id), data={"csrf_token": token, "next": "https://evil.example/"}
        )
        assert answer.status_code == 302
        assert answer.headers["Location"] == "/"
    fresh()
    assert db.session.scalar(select(db.func.count()).select_from(AnnouncementDismissal)) == 1


def test_the_script_gets_a_json_answer(browser, admin, alice):
    made = announce(admin, title="By script")
    browser.login(alice.email)
    answer = browser.client.post(
        dismiss_path(made.id),
        data={"csrf_token": csrf(browser.client, "/")},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"ok": True}
    assert not shows(browser.client, "By script")


def test_a_member_cannot_dismiss_what_is_not_for_them(browser, admin, bob):
    made = announce(admin, title="Procurement news", audience="procurement")
    browser.login(bob.email)
    answer = browser.client.post(dismiss_path(made.id), data={"csrf_token": csrf(browser.client)})
    assert answer.status_code == 404
    fresh()
    assert db.session.get(AnnouncementDismissal, (made.id, bob.id)) is None


def test_a_visitor_sees_it_but_cannot_dismiss_and_nothing_is_kept_for_them(client, admin):
    made = announce(admin, title="For visitors")
    page = client.get("/")
    text = page.get_data(as_text=True)
    assert "For visitors" in text
    assert "Dismiss" not in text
    assert "announcements.js" not in text
    assert "Set-Cookie" not in page.headers  # no session started for the banner
    token = csrf(client, "/auth/login")
    answer = client.post(dismiss_path(made.id), data={"csrf_token": token})
    assert answer.status_code == 403
    assert shows(client, "For visitors")
    fresh()
    assert db.session.scalar(select(db.func.count()).select_from(AnnouncementDismissal)) == 0


class Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, _conn, _cursor, statement, *args):
        # The site's version is read once per page for every site-wide value (sitecache.py).
        self.count += "site_version" not in statement


def statements_for(app, user) -> int:
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        with app.test_request_context("/"):
            banner.for_reader(user)
            banner.for_reader(user)  # once per request
            g.pop("_announcement_banners", None)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def test_a_page_asks_the_database_at_most_once_and_not_at_all_when_nothing_shows(app, admin, alice):
    from flask_login import AnonymousUserMixin

    fresh()
    member = db.session.get(type(alice), alice.id)
    anonymous = AnonymousUserMixin()
    statements_for(app, anonymous)  # the process reads what is held
    assert statements_for(app, anonymous) == 0
    assert statements_for(app, member) == 0  # nothing showing: no query
    announce(admin, title="Now")
    statements_for(app, anonymous)
    assert statements_for(app, anonymous) == 0
    member = db.session.get(type(alice), alice.id)  # (loaded, as a request's member is)
    assert statements_for(app, member) == 1  # which are for them, not dismissed
