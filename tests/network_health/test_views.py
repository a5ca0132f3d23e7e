"""The health pages: the admin page and its CSV show the rollup's figures (equal to counts
from the tables), the range is checked, CSV cells cannot start formulas, only admins reach
the admin page and the refresh, and the public summary exists only while switched on."""

import csv
import io
import re
from datetime import date, timedelta

from sqlalchemy import select

from community.accounts.models import Organisation, User
from community.db import atomic, utcnow
from community.extensions import db
from community.network_health import rollup
from community.network_health.models import HealthState
from community.network_health.queries import FIGURES, default_range
from community.sitesettings import SiteSettings
from community.threads.models import Post
from tests.factories import PASSWORD, make_user
from tests.network_health.conftest import community_id, reply, start, straight_counts


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _signed_in_admin(browser, admin):
    browser.login(admin.email, PASSWORD)
    return browser


def test_the_admin_page_shows_every_figure_of_the_tables(network, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    page = browser.get("/admin/health")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rng = default_range(utcnow().date())
    expected = straight_counts(rng.first, rng.last)
    for key, label in FIGURES:
        # The summary table: <th><a href="#key-heading">Label</a></th><td>value</td>
        cell = rf'href="#{key}-heading">{re.escape(label)}</a></th><td>([\d,]+)</td>'
        found = re.search(cell, html)
        assert found, key
        assert int(found.group(1).replace(",", "")) == expected[key], key
    assert "Last refreshed" in html
    assert 'role="img"' in html
    assert '<title id="chart-posts-title">' in html
    assert '<desc id="chart-posts-desc">' in html
    assert 'aria-labelledby="chart-posts-title chart-posts-desc"' in html
    assert 'scope="col"' in html
    assert 'scope="row"' in html
    assert "<caption" in html
    assert "Alice Ash" not in html  # figures, never a member's own activity


def test_the_csv_figures_equal_the_tables(network, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    rng = default_range(utcnow().date())
    response = browser.get(f"/admin/health.csv?table=communities&from={rng.first}&to={rng.last}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="network-health-communities-{rng.first}-to-{rng.last}.csv"'
    )
    rows = _csv(response)
    header, network_row = rows[0], rows[1]
    assert network_row[0] == "All communities"
    expected = straight_counts(rng.first, rng.last)
    for key, label in FIGURES:
        assert int(network_row[header.index(label)]) == expected[key], key
    assert network_row[header.index("Average event rating")] == "4.50"
    procurement = next(r for r in rows if r[0] == "Procurement")
    by_community = straight_counts(rng.first, rng.last, community_id("procurement"))
    for key, label in FIGURES:
        assert int(procurement[header.index(label)]) == by_community[key], key


def test_every_csv_table_downloads(network, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    weekly = _csv(browser.get("/admin/health.csv?table=weekly"))
    assert weekly[0][:2] == ["Week from", "Community"]
    assert len([r for r in weekly if r[1] == "All communities"]) == 12  # eleven weeks and this one
    orgs = _csv(browser.get("/admin/health.csv?table=organisations"))
    names = {r[1] for r in orgs[1:]}
    a, b = (db.session.get(Organisation, i).name for i in (network.org_a, network.org_b))
    assert {a, b} <= names
    exchanges = _csv(browser.get("/admin/health.csv?table=exchanges"))
    assert sum(int(r[1]) for r in exchanges[1:]) == 3
    assert sum(int(r[2]) for r in exchanges[1:]) == 2
    pairs = _csv(browser.get("/admin/health.csv?table=pairs"))
    assert pairs[1][2:] == ["3", "2", "5"]
    assert sorted(pairs[1][:2]) == sorted([a, b])


def test_csv_cells_cannot_start_a_formula(network, browser, admin):
    with atomic():
        org = Organisation(name='=HYPERLINK("http://evil.example")', slug="evil")
        db.session.add(org)
        db.session.flush()
        db.session.get(User, network.carol.id).organisation_id = org.id
    reply(network.carol, network.thread, "From my new organisation")
    rollup.refresh(rebuild=True)
    _signed_in_admin(browser, admin)
    rows = _csv(browser.get("/admin/health.csv?table=organisations"))
    cells = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_a_bad_range_gets_a_clear_message(network, browser, admin):
    _signed_in_admin(browser, admin)
    for query, message in [
        ("from=2026-13-01", "is not a date like"),
        ("from=2026-12-01&to=2026-11-01", "The “to” date is before the “from” date."),
        ("from=2001-01-01&to=2026-12-01", "at most five years"),
    ]:
        response = browser.get(f"/admin/health?{query}")
        assert response.status_code == 400, query
        html = response.get_data(as_text=True)
        assert message in html, query
        assert 'class="error-summary"' in html
        assert 'aria-invalid="true"' in html
    kept = browser.get("/admin/health?from=2026-12-01&to=2026-11-01").get_data(as_text=True)
    assert 'value="2026-12-01"' in kept
    assert 'value="2026-11-01"' in kept
    assert browser.get("/admin/health.csv?table=weekly&from=nope").status_code == 400
    bad_table = browser.get("/admin/health.csv?table=secrets")
    assert bad_table.status_code == 400
    assert "Choose one of the tables" in bad_table.get_data(as_text=True)


def test_a_chosen_range(network, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    today = utcnow().date()
    first, last = today - timedelta(days=25), today - timedelta(days=10)
    rows = _csv(browser.get(f"/admin/health.csv?table=communities&from={first}&to={last}"))
    expected = straight_counts(first, last)
    header = rows[0]
    for key, label in FIGURES:
        assert int(rows[1][header.index(label)]) == expected[key], key
    page = browser.get(f"/admin/health?from={first}&to={last}").get_data(as_text=True)
    assert f'value="{first}"' in page


def test_refresh_now_counts_what_is_new(network, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    thread = start(network.bob, "procurement", title="A fresh question", body="Anyone?")
    assert thread.id
    response = browser.submit("/admin/health", {}, action="/admin/health/refresh")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/health")
    html = browser.get("/admin/health").get_data(as_text=True)
    assert "The figures are up to date." in html
    rng = default_range(utcnow().date())
    found = re.search(r'href="#threads-heading">Threads started</a></th><td>([\d,]+)</td>', html)
    assert int(found.group(1)) == straight_counts(rng.first, rng.last)["threads"] == 3


def test_refresh_needs_the_csrf_token(network, browser, admin):
    _signed_in_admin(browser, admin)
    assert browser.client.post("/admin/health/refresh").status_code == 400
    db.session.rollback()
    assert db.session.get(HealthState, rollup.STATE_ID) is None


def test_only_admins(network, browser, client):
    for path in ("/admin/health", "/admin/health.csv?table=weekly"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    browser.login(network.alice.email, PASSWORD)
    for path in ("/admin/health", "/admin/health.csv?table=weekly"):
        assert browser.get(path).status_code == 403
    response = browser.submit("/settings", {}, action="/admin/health/refresh")
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(HealthState, rollup.STATE_ID) is None


def _health_public(on: bool) -> None:
    with atomic():
        row = db.session.get(SiteSettings, 1)
        if row is None:
            row = SiteSettings(id=1, site_name="Commons", contact_email="",
                               registration_mode="open")  # fmt: skip
            db.session.add(row)
        row.health_public = on


def test_the_public_summary_only_when_switched_on(network, client):
    rollup.refresh()
    assert client.get("/health").status_code == 404  # no settings row: off
    _health_public(False)
    assert client.get("/health").status_code == 404
    _health_public(True)
    response = client.get("/health")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rng = default_range(utcnow().date())
    expected = straight_counts(rng.first, rng.last)
    assert f"Chat messages: <strong>{expected['chat_messages']}</strong>" in html
    assert f"Replies: <strong>{expected['posts']}</strong>" in html
    assert 'role="img"' in html
    for name in ("Alice Ash", "Bob Birch", "Carol Cedar"):
        assert name not in html  # no member's own data
    a = db.session.get(Organisation, network.org_a).name
    assert a not in html  # nor the pairs of organisations
    assert client.get("/health?from=2026-12-01&to=2026-11-01").status_code == 400


def test_the_public_summary_folds_members_only_communities(network, client):
    from community.communities.models import Community

    with atomic():
        finance = db.session.scalar(select(Community).where(Community.slug == "finance"))
        finance.visibility = "members"
    rollup.refresh()
    _health_public(True)
    html = client.get("/health").get_data(as_text=True)
    assert "Members-only communities" in html
    assert ">Finance<" not in html


def test_new_member_figure_follows_registration(communities, browser, admin):
    rollup.refresh()
    _signed_in_admin(browser, admin)
    before = straight_counts(*_days())["new_members"]
    make_user("Newcomer Nia")
    rollup.refresh()
    html = browser.get("/admin/health").get_data(as_text=True)
    found = re.search(r'href="#new_members-heading">New members</a></th><td>([\d,]+)</td>', html)
    assert int(found.group(1)) == before + 1


def _days():
    rng = default_range(utcnow().date())
    return rng.first, rng.last


def test_weekly_figures_equal_the_tables_whole_and_cut_weeks(network, browser, admin):
    reply(network.carol, network.thread, "Another week")
    with atomic():  # Carol's reply, and her activity, ten days back
        post = db.session.scalar(select(Post).where(Post.source == "Another week"))
        post.created_at = post.created_at - timedelta(days=10)
    rollup.refresh()
    _signed_in_admin(browser, admin)
    today = utcnow().date()
    first = today - timedelta(days=23)  # most often a cut week first
    for last in (today, today - timedelta(days=1)):
        rows = _csv(browser.get(f"/admin/health.csv?table=weekly&from={first}&to={last}"))
        header = rows[0]
        weeks = [r for r in rows[1:] if r[1] == "All communities"]
        assert len(weeks) >= 4
        for row in weeks:
            start_day = date.fromisoformat(row[0])
            end_day = min(start_day + timedelta(days=6 - start_day.weekday()), last)
            expected = straight_counts(start_day, end_day)
            for key, label in FIGURES:
                assert int(row[header.index(label)]) == expected[key], (row[0], key)
        orgs = _csv(browser.get(f"/admin/health.csv?table=organisations&from={first}&to={last}"))
        active = orgs[0].index("Active members")
        for row in weeks:
            in_week = sum(int(r[active]) for r in orgs[1:] if r[0] == row[0])
            assert in_week == int(row[header.index("Active members")]), row[0]
