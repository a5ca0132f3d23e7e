"""The rollup: every figure equals a count straight from the tables, on both databases; an
incremental run picks up new data and changes to older days; a merge asks for a rebuild."""

from datetime import timedelta

from sqlalchemy import func, select, update

from community import signals
from community.accounts.models import Organisation, User
from community.chat.models import ChatMessage
from community.db import atomic, utcnow
from community.extensions import db
from community.network_health import rollup
from community.network_health.models import HealthDay, HealthPair, HealthState
from community.network_health.queries import Range, figures
from community.resources.models import ResourceDownloadDay
from community.threads import actions as thread_actions
from community.threads.models import Post
from tests.network_health.conftest import (
    backdate_post,
    chat,
    community_id,
    live,
    reply,
    straight_counts,
    straight_exchanges,
)

FIGURE_KEYS = ("active_members", "new_members", "threads", "posts", "chat_messages",
               "resources_published", "resource_downloads", "event_attendance",
               "event_feedback", "event_rating_sum")  # fmt: skip


def _range(days_back: int = 90) -> Range:
    today = utcnow().date()
    return Range(today - timedelta(days=days_back), today)


def _figures_of(rng: Range, community: int | None = None) -> dict[str, int]:
    db.session.rollback()
    fig = figures(rng)
    if community is None:
        return {key: fig.totals.get(key, 0) for key in FIGURE_KEYS}
    return {key: fig.by_community.get((key, community), 0) for key in FIGURE_KEYS}


def test_every_figure_equals_a_count_from_the_tables(network):
    rollup.refresh()
    rng = _range()
    expected = straight_counts(rng.first, rng.last)
    assert _figures_of(rng) == expected
    # The data is what the test meant to make: each figure is exercised.
    assert expected == {
        "active_members": 3,  # Alice, Bob and Carol (the moderator only organised)
        "new_members": db.session.scalar(select(func.count()).select_from(User)),
        "threads": 2, "posts": 4, "chat_messages": 5, "resources_published": 1,
        "resource_downloads": 2, "event_attendance": 2, "event_feedback": 2,
        "event_rating_sum": 9,
    }  # fmt: skip
    for slug in ("procurement", "finance"):
        cid = community_id(slug)
        assert _figures_of(rng, cid) == straight_counts(rng.first, rng.last, cid), slug


def test_a_range_counts_only_its_days(network):
    rollup.refresh()
    today = utcnow().date()
    old = Range(today - timedelta(days=25), today - timedelta(days=10))
    assert _figures_of(old) == straight_counts(old.first, old.last)
    assert _figures_of(old)["threads"] == 1  # the finance thread, moved 20 days back
    assert _figures_of(old)["posts"] == 1


def test_exchanges_between_organisations_equal_the_tables(network):
    rollup.refresh()
    rng = _range()
    expected = straight_exchanges(rng.first, rng.last)
    low, high = sorted((network.org_a, network.org_b))
    assert expected == {("reply", low, high): 3, ("chat", low, high): 2}
    stored = {
        (kind, lo, hi): value
        for kind, lo, hi, value in db.session.execute(
            select(HealthPair.kind, HealthPair.org_low, HealthPair.org_high,
                   func.sum(HealthPair.value)).group_by(HealthPair.kind, HealthPair.org_low,
                                                         HealthPair.org_high)
        )
    }  # fmt: skip
    assert stored == expected
    fig = figures(rng)
    assert fig.pairs == [(low, high, 3, 2)]


def test_a_chat_answer_after_ten_minutes_is_no_exchange(network):
    chat(network.bob, "Late reply", room="finance")
    with atomic():
        alone = db.session.scalar(select(ChatMessage).where(ChatMessage.body == "In finance"))
        alone.created_at = alone.created_at - timedelta(minutes=11)
    rollup.refresh()
    low, high = sorted((network.org_a, network.org_b))
    assert _stored_pairs()[("chat", low, high)] == 2  # the procurement room's only
    chat(network.alice, "Quick answer", room="finance")  # within 10 minutes of Bob's
    rollup.refresh()
    assert _stored_pairs()[("chat", low, high)] == 3
    assert _stored_pairs() == straight_exchanges(_range().first, _range().last)


def _stored_pairs():
    db.session.rollback()
    return {
        (kind, lo, hi): int(value)
        for kind, lo, hi, value in db.session.execute(
            select(HealthPair.kind, HealthPair.org_low, HealthPair.org_high,
                   func.sum(HealthPair.value)).group_by(HealthPair.kind, HealthPair.org_low,
                                                         HealthPair.org_high)
        )
    }  # fmt: skip


def test_an_incremental_run_picks_up_new_data(network):
    rollup.refresh()
    state = db.session.get(HealthState, rollup.STATE_ID)
    assert state.stale_from == utcnow().date()
    assert state.refreshed_at is not None
    reply(network.bob, network.thread, "One more thing")
    chat(network.carol, "Hello from Carol")
    result = rollup.refresh()
    assert not result.full
    assert result.first_day == utcnow().date()
    rng = _range()
    assert _figures_of(rng) == straight_counts(rng.first, rng.last)
    assert _stored_pairs() == straight_exchanges(rng.first, rng.last)


def test_a_change_to_an_older_day_is_recounted(network):
    rollup.refresh()
    old_reply = network.posts["finance_reply"]  # 19 days back
    rng = _range()
    assert _figures_of(rng)["posts"] == 4
    with atomic():
        thread_actions.delete_post(live(network.alice), old_reply)
    db.session.rollback()
    stale = db.session.get(HealthState, rollup.STATE_ID).stale_from
    assert stale == utcnow().date() - timedelta(days=19)
    result = rollup.refresh()
    assert not result.full
    assert result.first_day == stale
    assert _figures_of(rng) == straight_counts(rng.first, rng.last)
    assert _figures_of(rng)["posts"] == 3
    assert _stored_pairs() == straight_exchanges(rng.first, rng.last)


def test_a_merge_marks_everything_stale_and_the_next_run_rebuilds(network):
    rollup.refresh()
    low, high = sorted((network.org_a, network.org_b))
    assert _stored_pairs()[("reply", low, high)] == 3
    # The merge itself is the organisations domain's; here its effect and its signal.
    with atomic():
        db.session.execute(
            update(User).where(User.organisation_id == network.org_b)
            .values(organisation_id=network.org_a)
        )  # fmt: skip
        signals.organisation_merged.emit(
            survivor=db.session.get(Organisation, network.org_a), merged_id=network.org_b
        )
    db.session.rollback()
    assert db.session.get(HealthState, rollup.STATE_ID).stale_from is None
    result = rollup.refresh()
    assert result.full
    assert _stored_pairs() == {}  # one organisation now: no exchanges between two
    by_org = dict(
        db.session.execute(
            select(HealthDay.organisation_id, func.sum(HealthDay.value))
            .where(HealthDay.metric == "posts")
            .group_by(HealthDay.organisation_id)
        ).all()
    )
    assert network.org_b not in by_org


def test_a_rebuild_gives_the_same_figures_as_incremental_runs(network):
    rollup.refresh()
    reply(network.carol, network.thread, "Later")
    rollup.refresh()
    incremental = sorted(db.session.execute(select(HealthDay.__table__)).all())
    rollup.refresh(rebuild=True)
    assert sorted(db.session.execute(select(HealthDay.__table__)).all()) == incremental


def test_chunks_cover_every_day(network, monkeypatch):
    monkeypatch.setattr(rollup, "CHUNK_DAYS", 3)
    backdate_post(network.posts["carol"], 40)
    rollup.refresh(rebuild=True)
    rng = _range()
    assert _figures_of(rng) == straight_counts(rng.first, rng.last)


def test_a_download_counts_on_its_day(network, client):
    db.session.rollback()
    row = db.session.get(ResourceDownloadDay, (network.resource, utcnow().date()))
    assert row.count == 2
    response = client.get(f"/resources/{network.resource}/download")
    assert response.status_code == 200
    db.session.rollback()
    assert db.session.get(ResourceDownloadDay, (network.resource, utcnow().date())).count == 3


def test_nothing_to_count(app, communities):
    db.session.execute(update(User).values(created_at=utcnow()))
    db.session.rollback()
    result = rollup.refresh()
    assert result.full
    assert db.session.get(HealthState, rollup.STATE_ID).refreshed_at is not None


def test_posts_held_for_approval_count_once_approved(network):
    rollup.refresh()
    with atomic():
        post = db.session.get(Post, network.posts["carol"])
        post.hidden_at, post.hidden_reason = utcnow(), "held"
    backdate_post(network.posts["carol"], 5)
    rollup.refresh(rebuild=True)
    rng = _range()
    assert _figures_of(rng)["posts"] == 3
    with atomic():
        thread_actions.approve_held(live(network.mod), network.posts["carol"])
    db.session.rollback()
    assert db.session.get(HealthState, rollup.STATE_ID).stale_from == (
        utcnow().date() - timedelta(days=5)
    )
    rollup.refresh()
    assert _figures_of(rng) == straight_counts(rng.first, rng.last)
    assert _figures_of(rng)["posts"] == 4
