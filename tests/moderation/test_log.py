"""The audit log at /mod/log and /mod/log.csv: worded entries in the reader's scope, filters
by community, person, kind and date (the reader's time zone), pages, a CSV that spreadsheets
read as text; and no way to change or delete an entry through the app."""

import csv
import io
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from community.accounts import actions as account_actions
from community.chat import actions as chat_actions
from community.communities import access as community_access
from community.db import atomic
from community.extensions import db
from community.moderation import wording
from community.moderation.audit import record
from community.moderation.log import PAGE_SIZE
from community.moderation.models import AuditLog, AuditLogIsAppendOnly
from community.threads import actions as thread_actions
from community.web import csv_cell
from tests.conftest import Browser
from tests.factories import make_user
from tests.threads.helpers import live, start


def community_id(slug: str) -> int:
    return community_access.access_community(None, slug).id


def page_text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def admin(communities):
    return make_user("Ada Admin", email="ada@example.org", admin=True)


@pytest.fixture
def entries(communities, admin, mod, other_mod, alice):
    """A pin in Procurement (Mona), a mute in Health (Hugo), a suspension (site-wide)."""
    thread_id = start(alice, title="Budgets")
    with atomic():
        thread_actions.set_pinned(live(mod), thread_id, pinned=True)
    bob = make_user("Bob Builder", communities=("health",))
    with atomic():
        chat_actions.mute(live(other_mod), "health", user_id=bob.id, minutes=60)
    sam = make_user("Sam Member")
    with atomic():
        account_actions.suspend_member(live(admin), live(sam), '=HYPERLINK("http://x")')
    return {
        "pin": "Mona Moderator pinned the thread “Budgets” in Procurement",
        "mute": "Hugo Health muted Bob Builder for 1 hour in the Health chat",
        "suspend": "Ada Admin suspended Sam Member",
    }


# --- who may read it ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mod/log", "/mod/log.csv"])
def test_anonymous_readers_are_sent_to_sign_in(client, communities, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/mod/log", "/mod/log.csv"])
def test_members_are_refused(browser, reader, path):
    browser.login(reader.email)
    response = browser.get(path)
    assert response.status_code == 403
    assert "Only moderators and admins see the audit log." in response.get_data(as_text=True)


def test_a_moderator_reads_only_their_communities_entries(browser, mod, entries):
    browser.login(mod.email)
    text = page_text(browser.get("/mod/log"))
    assert entries["pin"] in text
    assert entries["mute"] not in text
    assert entries["suspend"] not in text  # site-wide: admins only
    assert "Site-wide (no community)" not in text
    rows = csv_rows(browser.get("/mod/log.csv"))[1:]
    assert entries["pin"] in [row[6] for row in rows]
    assert {row[4] for row in rows} == {"Procurement"}  # no Health, nothing site-wide


@pytest.mark.parametrize("path", ["/mod/log", "/mod/log.csv"])
def test_a_moderator_cannot_ask_for_another_communitys_entries(browser, mod, entries, path):
    browser.login(mod.email)
    response = browser.get(f"{path}?community={community_id('health')}")
    assert response.status_code == 400
    text = page_text(response)
    assert "That community is not one whose log you can read." in text
    assert "Hugo Health" not in text
    response = browser.get(f"{path}?community=site")
    assert response.status_code == 400
    assert "Sam Member" not in page_text(response)


def test_an_admin_reads_every_entry_newest_first(browser, admin, entries):
    browser.login(admin.email)
    text = page_text(browser.get("/mod/log"))
    positions = [text.index(entries[k]) for k in ("suspend", "mute", "pin")]
    assert positions == sorted(positions)
    assert "Site-wide" in text


def test_the_queue_and_the_admin_page_link_to_the_log(browser, admin, communities):
    browser.login(admin.email)
    for page in ("/mod", "/admin"):
        assert 'href="/mod/log"' in browser.get(page).get_data(as_text=True)


# --- filters --------------------------------------------------------------------------------


def test_filter_by_community_and_site_wide(browser, admin, entries):
    browser.login(admin.email)
    text = page_text(browser.get(f"/mod/log?community={community_id('health')}"))
    assert entries["mute"] in text
    assert entries["pin"] not in text
    assert f'<option value="{community_id("health")}" selected>Health</option>' in text
    text = page_text(browser.get("/mod/log?community=site"))
    assert entries["suspend"] in text
    assert entries["mute"] not in text


def test_filter_by_person_any_case(browser, admin, entries):
    browser.login(admin.email)
    text = page_text(browser.get("/mod/log?actor=hugo%20%20HEALTH"))
    assert entries["mute"] in text
    assert entries["pin"] not in text
    response = browser.get("/mod/log?actor=Nobody%20Here")
    assert response.status_code == 400
    assert "No member is called “Nobody Here”." in page_text(response)


def test_filter_by_kind_of_action(browser, admin, entries):
    browser.login(admin.email)
    text = page_text(browser.get("/mod/log?kind=suspensions"))
    assert entries["suspend"] in text
    assert entries["pin"] not in text
    assert '<option value="suspensions" selected>Suspensions</option>' in text
    text = page_text(browser.get("/mod/log?kind=chat-moderation"))
    assert entries["mute"] in text
    assert entries["suspend"] not in text
    assert browser.get("/mod/log?kind=poking").status_code == 400


def _entry_at(actor, when: datetime, community: str = "procurement") -> None:
    with atomic():
        entry = record(live(actor), "community.archive", ("community", community_id(community)),
                       community=community_id(community))  # fmt: skip
        entry.created_at = when


def test_dates_are_days_in_the_readers_time_zone(browser, admin, communities):
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (BST).
    _entry_at(admin, datetime(2026, 6, 1, 23, 30))  # noqa: DTZ001 (stored times are naive UTC)
    browser.login(admin.email)
    archived = "Ada Admin archived Procurement"
    assert archived in page_text(browser.get("/mod/log?from=2026-06-02&to=2026-06-02"))
    assert archived not in page_text(browser.get("/mod/log?to=2026-06-01"))
    with atomic():
        live(admin).timezone = "UTC"
    assert archived in page_text(browser.get("/mod/log?from=2026-06-01&to=2026-06-01"))
    assert archived not in page_text(browser.get("/mod/log?from=2026-06-02"))


def test_a_wrong_date_is_a_clear_400_that_keeps_the_form(browser, admin, entries):
    browser.login(admin.email)
    response = browser.get("/mod/log?from=2026-13-01&actor=Ada%20Admin&kind=suspensions")
    assert response.status_code == 400
    text = page_text(response)
    assert "“2026-13-01” is not a date like 2026-11-25." in text
    assert 'value="2026-13-01"' in text
    assert 'value="Ada Admin"' in text
    assert '<option value="suspensions" selected>' in text
    assert entries["suspend"] not in text  # no list under a wrong filter
    response = browser.get("/mod/log?from=2026-06-02&to=2026-06-01")
    assert response.status_code == 400
    assert "The “to” date is before the “from” date." in page_text(response)
    assert browser.get("/mod/log.csv?to=yesterday").status_code == 400


def test_pages_continue_where_the_last_one_ended(browser, admin, communities):
    for minute in range(PAGE_SIZE + 3):
        _entry_at(admin, datetime(2026, 6, 1, 12, minute))  # noqa: DTZ001 (naive UTC)
    browser.login(admin.email)
    first = browser.get("/mod/log?kind=community-settings").get_data(as_text=True)
    assert first.count("archived Procurement") == PAGE_SIZE
    assert "1 Jun 2026, 13:52 BST" in first  # the newest (12:52 UTC)
    next_link = first.split('class="pager"')[1].split('href="')[1].split('"')[0]
    assert "kind=community-settings" in next_link
    second = browser.get(next_link.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("archived Procurement") == 3
    assert "1 Jun 2026, 13:00 BST" in second
    assert 'class="pager"' not in second


# --- the CSV --------------------------------------------------------------------------------


def test_the_csv_has_the_filtered_entries_as_text_cells(browser, admin, entries):
    browser.login(admin.email)
    response = browser.get("/mod/log.csv?kind=suspensions")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    header, *rows = csv_rows(response)
    assert header == ["When (UTC)", "Who", "Action", "Target", "Community", "Reason or detail",
                      "Text"]  # fmt: skip
    assert len(rows) == 1
    when, who, action, target, community, reason, text = rows[0]
    assert datetime.fromisoformat(when).tzinfo is not None  # "…Z": UTC, said so
    assert (who, action, target, community) == ("Ada Admin", "member.suspend", "Sam Member", "")
    assert reason == '\'=HYPERLINK("http://x")'  # a formula, kept as text
    assert text.startswith(entries["suspend"])


def test_the_csv_names_other_targets_in_its_detail(browser, admin, entries):
    browser.login(admin.email)
    rows = csv_rows(browser.get("/mod/log.csv?kind=chat-moderation"))[1:]
    assert [(r[2], r[3], r[4], r[5]) for r in rows] == [
        ("chat.mute", "the chat room “health”", "Health", "user: Bob Builder; minutes: 60")
    ]


def test_a_long_csv_streams_every_entry(app, admin, communities, monkeypatch):
    monkeypatch.setattr("community.moderation.log.BATCH_SIZE", 4)
    for minute in range(10):
        _entry_at(admin, datetime(2026, 6, 1, 12, minute))  # noqa: DTZ001 (naive UTC)
    # A plain test client: the suite's isolated one reads every body whole, before returning.
    browser = Browser(FlaskClient(app, app.response_class, use_cookies=True))
    browser.login(admin.email)
    response = browser.get("/mod/log.csv?kind=community-settings", buffered=False)
    assert response.is_streamed
    whens = [row[0] for row in csv_rows(response)][1:]
    response.close()
    assert whens == [f"2026-06-01T12:{m:02d}:00Z" for m in reversed(range(10))]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_could_start_a_formula_is_quoted(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell(f"a{start}") == f"a{start}"


# --- labels, and entries that never change --------------------------------------------------


def test_every_registered_action_has_a_kind_label():
    assert {action: wording.label(action) for action in wording.actions()
            if not wording.label(action)} == {}  # fmt: skip
    assert wording.label("flag.hide") == "Flag decisions"
    assert wording.label("thread.pin") == "Threads"  # from its target kind


def test_the_log_has_no_route_that_changes_anything(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/mod/log"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def _an_entry(admin) -> int:
    with atomic():
        entry = record(live(admin), "community.archive", ("community", community_id("health")),
                       community=community_id("health"))  # fmt: skip
    return entry.id


def test_an_entry_cannot_be_changed_or_deleted(admin):
    entry_id = _an_entry(admin)
    with pytest.raises(AuditLogIsAppendOnly), atomic():
        db.session.get(AuditLog, entry_id).action = "community.unarchive"
    with pytest.raises(AuditLogIsAppendOnly), atomic():
        db.session.delete(db.session.get(AuditLog, entry_id))
    with pytest.raises(AuditLogIsAppendOnly), atomic():
        db.session.execute(update(AuditLog).values(detail={"forged": True}))
    with pytest.raises(AuditLogIsAppendOnly), atomic():
        db.session.execute(delete(AuditLog).where(AuditLog.id == entry_id))
    db.session.rollback()
    row = db.session.scalars(select(AuditLog)).one()
    assert (row.id, row.action, row.detail) == (entry_id, "community.archive", {})


def test_reading_an_entry_is_not_a_change(admin):
    entry_id = _an_entry(admin)
    with atomic():
        entry = db.session.get(AuditLog, entry_id)
        entry.action = entry.action  # the same value: nothing to write, nothing refused
    assert db.session.get(AuditLog, entry_id).action == "community.archive"
