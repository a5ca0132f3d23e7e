"""`flask demo load` includes discussions: threads and replies in every community, with
counters that match what they count and no post dated in the future."""

import random

from sqlalchemy import func, select

from community.communities.models import Community
from community.db import atomic, utcnow
from community.extensions import db
from community.threads.models import Post, Thread
from tests.conftest import load_demo


def test_the_demo_has_consistent_discussions_in_every_community(app):
    load_demo(app)
    now = utcnow()
    for community in db.session.scalars(select(Community)):
        threads = db.session.scalars(select(Thread).where(Thread.community_id == community.id))
        threads = threads.all()
        assert threads, f"no threads in {community.slug}"
        assert community.thread_count == len(threads)
        posts = db.session.scalar(
            select(func.count())
            .select_from(Post)
            .join(Thread)
            .where(Thread.community_id == community.id)
        )
        assert community.post_count == posts
        assert community.last_activity_at == max(t.last_post_at for t in threads)
        for thread in threads:
            rows = db.session.scalars(
                select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
            ).all()
            assert len(rows) >= 3, "a thread with replies"
            assert [p.number for p in rows] == list(range(1, len(rows) + 1))
            assert thread.post_count == thread.last_number == len(rows)
            assert thread.last_post_id == rows[-1].id
            assert thread.last_post_at == rows[-1].created_at
            times = [p.created_at for p in rows]
            assert times == sorted(times)
            assert times[-1] <= now


class _Busiest(random.Random):
    """The demo's random choices at their extremes: the newest start, the longest gaps."""

    def randint(self, a: int, b: int) -> int:
        return a if (a, b) == (3, 40) else b


def test_spreading_a_long_thread_in_time_stops_at_now(app, communities):
    from community.threads.demo import _spread_in_time
    from tests.factories import make_user
    from tests.threads.helpers import reply, start

    author = make_user(communities=("procurement",))
    thread_id = start(author)
    for n in range(8):
        reply(author, thread_id, f"Reply {n}")
    with atomic():
        _spread_in_time(_Busiest(), db.session.get(Community, communities["procurement"].id))
    db.session.rollback()
    times = db.session.scalars(
        select(Post.created_at).where(Post.thread_id == thread_id).order_by(Post.number)
    ).all()
    assert times == sorted(times)
    assert times[-1] <= utcnow()
    assert db.session.get(Thread, thread_id).last_post_at == times[-1]
