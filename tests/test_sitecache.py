"""Site-wide values held per process: a change made through one app (one process of the
scaled-out mode) is seen on the next request by another app sharing the database."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from community import sitecache
from community.announcements import actions as announcement_actions
from community.announcements.models import Announcement
from community.db import atomic, utcnow
from community.extensions import db
from community.pages import actions as page_actions
from community.sitesettings import settings_for_update, update_settings
from tests.conftest import IsolatedClient, make_test_app
from tests.factories import make_user


@pytest.fixture
def other(database_url, tmp_path, app):
    """A second app on the same database: what another process of the site holds."""
    second = make_test_app(database_url, tmp_path / "other-instance")
    second.test_client_class = IsolatedClient
    yield second
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def page(app, path="/") -> str:
    response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def settings(admin, **changes):
    values = dict(site_name="Commons", contact_email="", registration_mode="open",
                  health_public=False) | changes  # fmt: skip
    with atomic():
        update_settings(db.session.get(type(admin), admin.id), **values)


def test_a_change_through_one_app_is_seen_by_the_other_on_its_next_request(app, other, admin):
    for held_by in (app, other):  # both hold the values now
        assert "Commons" in page(held_by)
    settings(admin, site_name="Partnership Hub", contact_email="hub@example.org")
    text = page(other)
    assert "Partnership Hub" in text
    assert "hub@example.org" in text

    with atomic():
        page_actions.create_page(
            db.session.get(type(admin), admin.id),
            page_actions.PageFields(title="Code of conduct", slug="conduct", body="Be kind."),
        )
    assert 'href="/pages/conduct"' in page(other)

    now = utcnow()
    details = announcement_actions.AnnouncementDetails(
        title="Office move", body="Monday.", audience="everyone",
        banner_from=now - timedelta(hours=1), banner_until=now + timedelta(hours=1),
        timezone="UTC",
    )  # fmt: skip
    with atomic():
        made = announcement_actions.create_announcement(
            db.session.get(type(admin), admin.id), details
        )
    assert "Office move" in page(other)
    with atomic():
        announcement_actions.withdraw_announcement(db.session.get(type(admin), admin.id), made.id)
    assert "Office move" not in page(other)
    assert "Office move" not in page(app)


def test_a_change_made_outside_any_action_is_seen_too(app, other, admin):
    assert "Commons" in page(other)
    with atomic():  # (the command line, a job: anything writing the row through the ORM)
        settings_for_update().site_name = "Renamed"
    assert "Renamed" in page(other)


def test_a_rolled_back_change_changes_nothing(app, other, admin):
    assert "Commons" in page(other)
    before = sitecache.version()

    def fail_after_the_change():
        with atomic():
            settings_for_update().site_name = "Never"
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        fail_after_the_change()
    assert sitecache.version() == before
    assert "Never" not in page(other)


def test_work_that_does_not_show_leaves_the_version(app, admin):
    now = utcnow()
    details = announcement_actions.AnnouncementDetails(
        title="Later", body="Soon.", audience="everyone",
        banner_from=now + timedelta(hours=1), banner_until=now + timedelta(hours=2),
        timezone="UTC",
    )  # fmt: skip
    with atomic():
        made = announcement_actions.create_announcement(
            db.session.get(type(admin), admin.id), details
        )
    before = sitecache.version()
    with atomic():
        db.session.get(Announcement, made.id).email_queued += 1  # the mailing's progress
        make_user()
    assert sitecache.version() == before


def test_a_page_reads_the_site_values_with_one_statement(app, other, admin):
    settings(admin, contact_email="hub@example.org")
    page(other)  # the process reads what it holds
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with other.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        text = page(other, "/auth/login")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "hub@example.org" in text
    assert [s for s in statements if "site_" in s] == [s for s in statements if "site_version" in s]
    assert len([s for s in statements if "site_version" in s]) == 1
