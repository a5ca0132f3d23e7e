"""The admins' pages: make, show, change and withdraw an announcement, with every rule of
the form; times typed in the admin's own zone and stored in UTC; the audit trail."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from community.announcements import actions
from community.announcements.models import Announcement
from community.db import atomic, utcnow
from community.extensions import db
from community.moderation.models import AuditLog
from community.moderation.queries import recent_audit
from tests.announcements.conftest import HOUR, WALL, announce, ask_email, live
from tests.communities.helpers import csrf, fresh, text_of

NEW = "/admin/announcements/new"


def wall(utc: datetime, zone: str = "Europe/London") -> str:
    """A stored time as the admin types it in their zone."""
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).strftime(WALL)


def soon() -> tuple[datetime, datetime]:
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    return start, start + timedelta(days=3)


def form(**overrides) -> dict:
    start, end = soon()
    data = {
        "title": "Office move", "body": "We move on **Monday**.", "audience": "everyone",
        "banner_from": wall(start), "banner_until": wall(end), "submit": "Save the announcement",
    }  # fmt: skip
    return {**data, **overrides}


def announcements() -> list[Announcement]:
    fresh()
    return list(db.session.scalars(select(Announcement).order_by(Announcement.id)))


def audit_actions() -> list[str]:
    fresh()
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_an_admin_makes_an_announcement(browser, admin):
    browser.login(admin.email)
    start, end = soon()
    answer = browser.submit(NEW, form(audience="procurement"))
    assert answer.status_code == 302
    [made] = announcements()
    assert answer.headers["Location"] == f"/admin/announcements/{made.id}"
    assert (made.title, made.body_html) == (
        "Office move",
        "<p>We move on <strong>Monday</strong>.</p>",
    )
    assert made.community.slug == "procurement"
    assert (made.banner_from, made.banner_until) == (start, end)  # typed in London, kept in UTC
    assert made.email_requested_at is None
    assert made.created_by_id == admin.id
    assert audit_actions() == ["announcement.create"]
    page = text_of(browser.get(answer.headers["Location"]).get_data(as_text=True))
    assert "The announcement is saved." in page
    assert "Scheduled:" in page


def test_times_are_read_in_the_admins_own_zone(browser, admin):
    with atomic():
        live(admin).timezone = "America/New_York"
    browser.login(admin.email)
    start, end = soon()
    browser.submit(NEW, form(banner_from=wall(start, "America/New_York"),
                             banner_until=wall(end, "America/New_York")))  # fmt: skip
    [made] = announcements()
    assert (made.banner_from, made.banner_until) == (start, end)
    page = browser.get(f"/admin/announcements/{made.id}").get_data(as_text=True)
    assert f'value="{wall(start, "America/New_York")}"' in page  # shown back in their zone
    assert "America/New York" in page


def test_no_banner_at_all(browser, admin):
    browser.login(admin.email)
    answer = browser.submit(NEW, form(banner_from="", banner_until=""))
    assert answer.status_code == 302
    [made] = announcements()
    assert (made.banner_from, made.banner_until) == (None, None)


def _an_hour_before(field: str) -> dict:
    start, _ = soon()
    return {"banner_from": wall(start), "banner_until": wall(start - HOUR)}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"audience": ""}, "Choose who it is for."),
        ({"audience": "no-such-community"}, "Choose who it is for"),
        (_an_hour_before("banner_until"), "The banner&#39;s end comes before its start."),
        ({"banner_until": ""}, "Give both the banner&#39;s start and its end"),
        ({"banner_from": ""}, "Give both the banner&#39;s start and its end"),
        ({"banner_from": "next Tuesday"}, "Give a date and time, such as 2027-03-14 10:00."),
        ({"title": "  "}, "Give the announcement a title."),
        ({"title": "x" * 161}, "A title has at most 160 characters."),
        ({"body": ""}, "Write what the announcement says."),
        (
            {"banner_from": wall(utcnow() - 3 * HOUR), "banner_until": wall(utcnow() - HOUR)},
            "The banner&#39;s end has already passed.",
        ),
    ],
)
def test_bad_input_is_refused_with_the_form_kept_and_nothing_saved(
    browser, admin, overrides, message
):
    browser.login(admin.email)
    data = form(**{"title": "Kept title", "body": "Kept **text**", **overrides})
    answer = browser.submit(NEW, data)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    if "title" not in overrides:
        assert 'value="Kept title"' in page
    if "body" not in overrides:
        assert "Kept **text**" in page
    if overrides.get("banner_from") == "next Tuesday":
        assert 'value="next Tuesday"' in page
    assert announcements() == []
    assert audit_actions() == []


def test_a_time_the_clocks_skip_is_refused(browser, admin):
    browser.login(admin.email)
    year = utcnow().year + 1
    # The last Sunday of March: 01:30 does not happen in London.
    day = max(d for d in range(25, 32) if datetime(year, 3, d).weekday() == 6)  # noqa: DTZ001
    answer = browser.submit(NEW, form(banner_from=f"{year}-03-{day:02d}T01:30",
                                      banner_until=f"{year}-03-{day:02d}T05:00"))  # fmt: skip
    assert answer.status_code == 400
    assert "That time does not exist in Europe/London" in answer.get_data(as_text=True)
    assert announcements() == []


def test_preview_renders_the_markdown_and_saves_nothing(browser, admin):
    browser.login(admin.email)
    answer = browser.submit(NEW, {**form(body="A *preview*"), "preview": "Preview"})
    assert answer.status_code == 200
    assert "<em>preview</em>" in answer.get_data(as_text=True)
    assert announcements() == []


def test_editing_changes_it_and_is_audited(browser, admin):
    made = announce(admin, title="First title")
    browser.login(admin.email)
    path = f"/admin/announcements/{made.id}"
    start, end = soon()
    answer = browser.submit(path, form(title="Second title", submit="Save changes"))
    assert answer.status_code == 302
    [changed] = announcements()
    assert changed.title == "Second title"
    assert (changed.banner_from, changed.banner_until) == (start, end)
    assert audit_actions() == ["announcement.create", "announcement.edit"]
    fresh()
    sentence = recent_audit(1)[0].text
    assert sentence == "Ada Admin changed the announcement “Second title” (title, banner dates)"


def test_a_bad_edit_keeps_the_announcement_as_it_was(browser, admin):
    made = announce(admin, title="Kept")
    browser.login(admin.email)
    path = f"/admin/announcements/{made.id}"
    answer = browser.submit(path, form(title="Changed", audience=""))
    assert answer.status_code == 400
    assert "Choose who it is for." in answer.get_data(as_text=True)
    assert 'value="Changed"' in answer.get_data(as_text=True)
    assert announcements()[0].title == "Kept"
    assert audit_actions() == ["announcement.create"]


def test_once_emailed_the_audience_no_longer_changes(browser, admin, alice):
    made = announce(admin)
    ask_email(admin, made.id)
    browser.login(admin.email)
    answer = browser.submit(f"/admin/announcements/{made.id}", form(audience="procurement"))
    assert answer.status_code == 400
    assert "the audience can no longer change" in answer.get_data(as_text=True)
    assert announcements()[0].community_id is None


def test_withdrawing(browser, admin):
    made = announce(admin)
    browser.login(admin.email)
    path = f"/admin/announcements/{made.id}"
    answer = browser.submit(path, {}, action=f"{path}/withdraw")
    assert answer.status_code == 302
    assert announcements()[0].withdrawn_at is not None
    page = text_of(browser.get(path).get_data(as_text=True))
    assert "This announcement was withdrawn" in page
    token = csrf(browser.client, "/")
    again = browser.client.post(f"{path}/withdraw", data={"csrf_token": token})
    assert again.status_code == 400
    edit = browser.client.post(path, data={**form(), "csrf_token": token})
    assert edit.status_code == 400
    assert audit_actions() == ["announcement.create", "announcement.withdraw"]


def test_the_audit_wording(admin, alice):
    made = announce(admin, title="For procurement", audience="procurement")
    ask_email(admin, made.id)
    with atomic():
        actions.withdraw_announcement(live(admin), made.id)
    fresh()
    assert [e.text for e in reversed(recent_audit(3))] == [
        "Ada Admin made the announcement “For procurement” for the members of Procurement",
        "Ada Admin sent the announcement “For procurement” by email to 1 member of Procurement",
        "Ada Admin withdrew the announcement “For procurement” in Procurement",
    ]


def test_the_list_shows_each_banners_state(browser, admin):
    now = utcnow()
    announce(admin, title="Showing one")
    announce(admin, title="Scheduled one", starts=now + HOUR, ends=now + 2 * HOUR)
    ended = announce(admin, title="Ended one")
    with atomic():
        row = db.session.get(Announcement, ended.id)
        row.banner_from, row.banner_until = now - 2 * HOUR, now - HOUR
    announce(admin, title="Bannerless", banner=False)
    browser.login(admin.email)
    page = text_of(browser.get("/admin/announcements").get_data(as_text=True))
    assert "Showing one Everyone Showing until" in page
    assert "Scheduled one Everyone Scheduled:" in page
    assert "Ended one Everyone Ended" in page
    assert "Bannerless Everyone No banner Not asked" in page


def test_only_admins_reach_the_pages(browser, admin, alice):
    made = announce(admin)
    browser.login(alice.email)
    for path in ("/admin/announcements", NEW, f"/admin/announcements/{made.id}",
                 f"/admin/announcements/{made.id}/email"):  # fmt: skip
        assert browser.get(path).status_code == 403, path
    with pytest.raises(Exception, match="Only the site"), atomic():
        actions.withdraw_announcement(live(alice), made.id)
