"""Demo discussions: a few threads with replies, tags and reactions in every community.

Everything here is invented for the demo and posted through the real actions.
"""

import random
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..communities.models import Community
from ..communities.queries import all_members
from ..db import utcnow
from ..extensions import db
from . import actions
from .models import REACTIONS, Post, Thread
from .receivers import index_post

TOPICS = {
    "business-support": [
        (
            "Where do you send a new social enterprise for its first business plan?",
            "advice, start-up",
        ),
        ("Regional agencies after the programme: who still funds one-to-one support?", "funding"),
        ("Simplifying business support: what worked in your area?", "policy"),
    ],
    "procurement": [
        ("Social value clauses that actually get scored", "social value, tendering"),
        ("Splitting contracts into lots: experiences from councils", "lots, councils"),
        ("Consortium bids: how did you share the risk?", "consortia"),
    ],
    "finance": [
        ("Patient capital for a community café: where to start?", "investment"),
        ("Asset locks and lenders: has anyone been refused?", "legal"),
        ("Grant to loan transition: lessons learned", "grants"),
    ],
    "impact-measurement": [
        ("Proportionate impact measurement for small organisations", "tools"),
        ("SROI or outcomes star? Comparing approaches", "sroi, outcomes"),
        ("How do you evidence prevention in health commissioning?", "evidence"),
    ],
    "workforce-development": [
        ("Apprenticeships in social firms: what support is still there?", "apprenticeships"),
        ("Training volunteers into paid roles", "volunteers"),
        ("Management skills for growing co-operatives", "skills"),
    ],
    "health": [
        ("Social enterprise spin-outs from community health services", "spin-outs"),
        ("Commissioners' view: what makes a bid credible?", "commissioning"),
        ("Social prescribing partners: sharing referral forms", "social prescribing"),
    ],
    "equal-learning-network": [
        ("Welcome: how this network keeps working after the programme", "welcome"),
        ("Mainstreaming: which of our policy asks landed?", "policy, mainstreaming"),
        ("Planning the next networking day", "networking day"),
    ],
}

OPENINGS = [
    "We have been asked this three times this month, so it seems worth a thread.",
    "Curious how others handle this; our approach is below and I would welcome challenge.",
    "Following the last networking day, here is the question we ran out of time for.",
]
REPLIES = [
    "We tried this last year. The short version: start small, **write everything down**, and "
    "bring the commissioner in early.",
    "Agree with the above. One thing to add: the timetable slipped twice, so build in slack.",
    "Our evaluation report has a section on exactly this; happy to share the relevant pages.",
    "Could you say more about how you measured it? We struggled to get baseline data.",
    "This matches our experience in the North West. The key was a named contact on both sides.",
    "Different view here: we found a lighter-touch approach worked better for very small "
    "organisations.\n\n- fewer forms\n- one review meeting\n- shared templates",
    "Thank you, this is really useful. I'll take it to our board next week.",
]


def demo_threads(rng: random.Random) -> str:
    """Threads with replies in every community, from its own members."""
    communities = db.session.scalars(select(Community).order_by(Community.position)).all()
    threads = posts = 0
    for community in communities:
        members = all_members(community)
        if len(members) < 3:
            continue
        for title, tags in TOPICS.get(community.slug, []):
            starter = rng.choice(members)
            body = f"{rng.choice(OPENINGS)}\n\nAny pointers, documents or contacts welcome."
            thread = actions.start_thread(
                starter, community.slug, title=title, tags=tags, body=body
            )
            threads += 1
            for body in rng.sample(REPLIES, rng.randint(2, 6)):
                author = rng.choice(members)
                if rng.random() < 0.25 and author.id != starter.id:
                    body = f"@**{starter.display_name}** {body}"
                actions.post_reply(author, thread.id, body=body)
                posts += 1
            _react(rng, thread, members)
        _spread_in_time(rng, community)
    return f"{threads} threads, {posts} replies"


def _react(rng: random.Random, thread: Thread, members: list[User]) -> None:
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread.id)):
        for user in rng.sample(members, rng.randint(0, min(3, len(members)))):
            actions.toggle_reaction(user, post.id, rng.choice(list(REACTIONS)))


def _spread_in_time(rng: random.Random, community: Community) -> None:
    """Demo posts were all written just now; spread them over the past weeks."""
    now = utcnow()
    threads = db.session.scalars(select(Thread).where(Thread.community_id == community.id)).all()
    latest = None
    for thread in threads:
        start = now - timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 23))
        posts = db.session.scalars(
            select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
        ).all()
        # Gaps of one to thirty hours, squeezed when they would run past now: no demo post
        # is dated in the future.
        gaps = [timedelta(hours=rng.randint(1, 30)) for _ in posts[1:]]
        span = sum(gaps, timedelta())
        if span > now - start:
            gaps = [gap * ((now - start) / span) for gap in gaps]
        at = start
        for post, gap in zip(posts, [timedelta(), *gaps], strict=True):
            at += gap
            post.created_at = at
            index_post(post)  # the search index carries the date too
        thread.created_at = start
        thread.last_post_at = posts[-1].created_at
        latest = max(latest or thread.last_post_at, thread.last_post_at)
    community.last_activity_at = latest
