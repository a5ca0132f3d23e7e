"""Digests: built once per member and period, from what the member may see, with the mail
queued in the same transaction; nothing when there is nothing new."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from community.accounts.models import User
from community.communities.models import Community
from community.db import atomic, utcnow
from community.digests import build
from community.digests.models import Digest, DigestExclusion
from community.digests.periods import delivery_reached, period_key
from community.extensions import db
from community.mail import OutboundMail
from tests.communities.helpers import fresh, run_concurrently, set_visibility
from tests.threads.helpers import reply, start


def naive(*parts) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 (naive UTC or wall-clock, as stored)


def send(**kwargs) -> build.Summary:
    fresh()
    kwargs.setdefault("whatever_the_hour", True)
    return build.send_digests(**kwargs)


def digests_of(user: User) -> list[Digest]:
    fresh()
    return list(db.session.scalars(select(Digest).where(Digest.user_id == user.id)))


def digest_mails(outbox, address: str) -> list:
    return [m for m in outbox.to(address) if "digest" in m["Subject"]]


def test_a_weekly_digest_lists_new_threads_of_the_members_communities(mod, alice, outbox):
    start(mod, "procurement", title="Social value in tenders", body="How do you score it?")
    summary = send()
    assert summary.queued >= 1
    [mail] = digest_mails(outbox, "alice@example.org")
    text = outbox.text(mail)
    assert "Social value in tenders" in text
    assert "== Procurement ==" in text
    assert mail["Subject"].startswith("Your weekly Commons digest")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in mail["List-Unsubscribe"]
    assert mail.get_body(("html",)) is not None
    [row] = digests_of(alice)
    assert row.mail_id is not None
    assert row.items >= 1


def test_a_second_run_in_the_same_period_builds_nothing(mod, alice, outbox):
    start(mod, "procurement", title="Framework renewals")
    send()
    again = send()
    assert again.queued == 0
    assert again.already >= 1
    assert len(digest_mails(outbox, "alice@example.org")) == 1
    assert len(digests_of(alice)) == 1


def test_nothing_new_means_no_email_but_the_period_is_done(alice, outbox):
    summary = send()
    assert summary.queued == 0
    assert summary.empty >= 1
    assert digest_mails(outbox, "alice@example.org") == []
    [row] = digests_of(alice)
    assert row.mail_id is None
    assert row.items == 0


def test_a_members_only_community_is_left_out_for_someone_no_longer_in_it(mod, alice, outbox):
    start(mod, "procurement", title="Members-only tender notes")
    set_visibility("procurement", "members")
    with atomic():
        procurement = db.session.scalar(select(Community).where(Community.slug == "procurement"))
        from community.communities.models import Membership

        db.session.execute(
            Membership.__table__.delete().where(
                Membership.user_id == alice.id, Membership.community_id == procurement.id
            )
        )
    send()
    assert all(
        "Members-only tender notes" not in outbox.text(m)
        for m in digest_mails(outbox, "alice@example.org")
    )


def test_a_community_left_out_of_the_digest_is_not_in_it(mod, alice, outbox):
    start(mod, "procurement", title="Left out thread")
    with atomic():
        procurement = db.session.scalar(select(Community).where(Community.slug == "procurement"))
        db.session.add(DigestExclusion(user_id=alice.id, community_id=procurement.id))
    send()
    assert digest_mails(outbox, "alice@example.org") == []


def test_busiest_threads_count_the_new_posts_of_older_threads(mod, alice, bob, outbox):
    thread_id = start(mod, "procurement", title="An older thread")
    with atomic():
        from community.threads.models import Post, Thread

        db.session.get(Thread, thread_id).created_at = naive(2020, 1, 1)
        db.session.execute(
            Post.__table__.update()
            .where(Post.thread_id == thread_id)
            .values(created_at=naive(2020, 1, 1))
        )
    reply(bob, thread_id, "One")
    reply(alice, thread_id, "Two")
    send()
    [mail] = digest_mails(outbox, "bob@example.org")
    text = outbox.text(mail)
    assert "Busiest threads" in text
    assert "An older thread (2 new posts)" in text, text


def test_off_unconfirmed_suspended_and_stopped_members_get_none(mod, alice, bob, outbox):
    start(mod, "procurement", title="Anything")
    with atomic():
        db.session.get(User, alice.id).digest_frequency = "off"
        db.session.get(User, bob.id).email_stopped_at = naive(2026, 1, 1)
    summary = send()
    assert summary.unsubscribed >= 1
    assert digest_mails(outbox, "alice@example.org") == []
    assert digest_mails(outbox, "bob@example.org") == []


def test_dry_run_stores_and_queues_nothing(mod, alice):
    start(mod, "procurement", title="Dry")
    summary = send(dry_run=True)
    assert summary.queued >= 1
    assert digests_of(alice) == []
    fresh()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboundMail)
            .where(OutboundMail.subject.like("%digest%"))
        )
        == 0
    )


def test_the_job_waits_for_the_members_chosen_day_and_hour(mod, alice):
    start(mod, "procurement", title="Timed")
    with atomic():
        user = db.session.get(User, alice.id)
        user.timezone, user.digest_day, user.digest_hour = "Europe/London", 2, 9
    tuesday = naive(2026, 12, 8, 12, 0)  # a Tuesday, 12:00 London
    wednesday_8 = naive(2026, 12, 9, 8, 0)
    wednesday_9 = naive(2026, 12, 9, 9, 0)
    assert send(now=tuesday, whatever_the_hour=False).not_due >= 1
    assert send(now=wednesday_8, whatever_the_hour=False).not_due >= 1
    assert digests_of(alice) == []
    assert send(now=wednesday_9, whatever_the_hour=False).queued == 1
    [row] = digests_of(alice)
    assert row.period == "2026-W50"


def test_periods_follow_the_members_zone():
    local = naive(2027, 1, 3, 23, 30)  # Sunday night: still ISO week 53 of 2026
    assert period_key("weekly", local) == "2026-W53"
    assert period_key("daily", local) == "2027-01-03"

    class Member:
        digest_frequency, digest_day, digest_hour = "weekly", 0, 8

    assert not delivery_reached(Member, naive(2026, 12, 7, 7, 59))
    assert delivery_reached(Member, naive(2026, 12, 7, 8, 0))


def test_the_next_digest_covers_from_where_the_last_ended(mod, alice, outbox):
    start(mod, "procurement", title="Week one")
    first = utcnow()
    send(now=first)
    start(mod, "procurement", title="Week two")
    send(now=first + timedelta(days=7))
    mails = digest_mails(outbox, "alice@example.org")
    assert len(mails) == 2
    assert "Week one" not in outbox.text(mails[1])
    assert "Week two" in outbox.text(mails[1])


def test_two_builders_at_once_build_one_digest_per_member(app, mod, alice, bob, outbox):
    start(mod, "procurement", title="Raced")
    fresh()
    errors = run_concurrently(app, lambda _: build.send_digests(whatever_the_hour=True), [1, 2])
    assert errors == []
    for member in (alice, bob):
        assert len(digests_of(member)) == 1
        assert len(digest_mails(outbox, member.email)) == 1


def test_a_crash_half_way_leaves_no_half_digest_and_a_rerun_finishes(
    mod, alice, bob, outbox, monkeypatch
):
    """The builder dies in the second chunk after writing its rows: that chunk's digests and
    mails roll back together, the first chunk's stay, and a rerun builds only the rest."""
    start(mod, "procurement", title="Crash")
    monkeypatch.setattr(build, "CHUNK", 1)
    real_store = build.store
    chunks = []

    def crash_in_second_chunk(composed, now):
        chunks.append([c.user_id for c in composed])
        outcomes = real_store(composed, now)
        if len(chunks) == 2:
            raise RuntimeError("killed half-way")
        return outcomes

    monkeypatch.setattr(build, "store", crash_in_second_chunk)
    summary = send()
    assert summary.failed == 1
    [crashed] = chunks[1]
    [first] = chunks[0]
    fresh()
    assert db.session.scalar(select(func.count()).where(Digest.user_id == crashed)) == 0
    assert db.session.scalar(select(func.count()).where(Digest.user_id == first)) == 1
    built = summary.queued + summary.empty

    monkeypatch.setattr(build, "store", real_store)
    rerun = send()
    assert rerun.failed == 0
    assert rerun.queued + rerun.empty == 1  # the crashed chunk's member, and only them
    assert rerun.already == built
    for member in (mod, alice, bob):
        assert len(digests_of(member)) == 1
    for member in (alice, bob):
        assert len(digest_mails(outbox, member.email)) == 1


def test_preview_builds_nothing(mod, alice):
    start(mod, "procurement", title="Preview me")
    fresh()
    subject, text, html = build.preview(db.session.get(User, alice.id))
    assert "Preview me" in text
    assert "Preview me" in html
    assert digests_of(alice) == []


def test_counts_read_as_english(mod, alice, bob, outbox):
    thread = start(mod, "procurement", title="Counted")
    reply(bob, thread, "One")
    reply(mod, thread, "Two")
    send()
    [mail] = digest_mails(outbox, "alice@example.org")
    text = outbox.text(mail)
    assert "2 replies" in text
    assert "replys" not in text
