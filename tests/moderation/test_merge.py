"""Merging a duplicate thread into another: posts keep their authors and times and move
after the others, watchers follow, the old address redirects; refusals are clear."""

import pytest
from sqlalchemy import select

from community.db import atomic
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.moderation.queries import recent_audit
from community.search.queries import Filters, search
from community.threads import actions
from community.threads.models import Post, Subscription, Thread
from tests.threads.helpers import fresh, live, reply, start


def merge(by, source, into):
    with atomic():
        return actions.merge_thread(live(by), source, into=into)


@pytest.fixture
def pair(alice, reader):
    original = start(alice, title="Social value scoring", body="How do you score it?")
    reply(reader, original, "We use 10%.")
    duplicate = start(reader, title="Scoring social value?", body="Same question, sorry.")
    reply(alice, duplicate, "See the other thread.")
    return original, duplicate


def test_the_duplicates_posts_move_after_the_others(alice, reader, mod, pair):
    original, duplicate = pair
    moved = {p.id: (p.author_id, p.created_at) for p in
             db.session.scalars(select(Post).where(Post.thread_id == duplicate))}  # fmt: skip
    merge(mod, duplicate, f"http://127.0.0.1:5000/t/{original}/social-value-scoring")
    fresh()
    posts = list(db.session.scalars(
        select(Post).where(Post.thread_id == original).order_by(Post.number)
    ))  # fmt: skip
    assert [p.number for p in posts] == [1, 2, 3, 4]
    assert [p.source for p in posts[2:]] == ["Same question, sorry.", "See the other thread."]
    assert {p.id: (p.author_id, p.created_at) for p in posts[2:]} == moved
    target, source = db.session.get(Thread, original), db.session.get(Thread, duplicate)
    assert (target.post_count, source.merged_into_id) == (4, original)
    assert source.deleted_at is not None
    watchers = set(db.session.scalars(
        select(Subscription.user_id).where(Subscription.thread_id == original)
    ))  # fmt: skip
    assert {alice.id, reader.id} <= watchers
    hits = search(live(reader), "sorry", Filters()).items
    assert [h.url for h in hits] == [f"/p/{posts[2].id}"]
    assert recent_audit()[0].text.startswith(
        "Mona Moderator merged the thread “Scoring social value?” into the thread “Social value"
    )


def test_the_old_address_leads_to_the_merged_thread(browser, reader, mod, pair):
    original, duplicate = pair
    browser.login(mod.email)
    done = browser.submit(f"/t/{duplicate}", {"into": str(original)},
                          action=f"/t/{duplicate}/merge")  # fmt: skip
    assert done.status_code == 302
    browser.logout()
    browser.login(reader.email)
    moved = browser.get(f"/t/{duplicate}")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/t/{original}")


def test_bad_merges_are_refused_with_nothing_done(alice, mod, other_mod, pair):
    original, duplicate = pair
    with pytest.raises(Invalid, match="into itself"):
        merge(mod, duplicate, str(duplicate))
    with pytest.raises(Invalid, match="its address or number"):
        merge(mod, duplicate, "/p/12")
    with pytest.raises(Forbidden):
        merge(other_mod, duplicate, str(original))
    health = start(make_health_member(), "health", title="Clinic supplies")
    with pytest.raises(Forbidden):
        merge(mod, duplicate, str(health))  # the moderator does not hold Health
    fresh()
    assert db.session.get(Thread, duplicate).deleted_at is None
    assert db.session.get(Thread, original).post_count == 2


def make_health_member():
    from tests.factories import make_user

    return make_user("Hana Health", communities=("health",))
