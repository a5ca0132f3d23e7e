"""A small network with a bit of everything the health figures count, made through the real
actions (then moved back in time where a test needs older days), and the counts straight
from the tables that the figures must equal."""

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.accounts.models import Organisation, User
from community.chat import actions as chat_actions
from community.chat.models import ChatMessage, ChatRoom
from community.communities.models import Community
from community.db import atomic, utcnow
from community.events import feedback, rsvp
from community.events.models import Event, EventFeedback, EventRsvp
from community.extensions import db
from community.resources import actions as resource_actions
from community.resources.models import Resource, ResourceCommunity, ResourceDownloadDay
from community.threads import actions as thread_actions
from community.threads.models import Post, Reaction, Thread
from tests.factories import make_event, make_user

_client_ids = itertools.count(1)


def live(user: User) -> User:
    return db.session.get(User, user.id)


@dataclass
class Network:
    org_a: int
    org_b: int
    alice: User  # org A, procurement and finance
    bob: User  # org B, procurement
    carol: User  # no listed organisation, procurement
    mod: User
    thread: int
    posts: dict
    event: int
    resource: int


def start(user, slug="procurement", title="Social value in tenders", body="How?") -> Thread:
    with atomic():
        return thread_actions.start_thread(live(user), slug, title=title, body=body)


def reply(user, thread_id: int, body: str, reply_to_id: int | None = None) -> Post:
    with atomic():
        return thread_actions.post_reply(live(user), thread_id, body=body, reply_to_id=reply_to_id)


def chat(user, body: str, room: str = "procurement") -> ChatMessage:
    with atomic():
        message, _new = chat_actions.send_message(
            live(user), room, body=body, client_id=f"c-{next(_client_ids)}"
        )
        return message


def backdate_post(post_id: int, days: int) -> None:
    """Move a post (and, for a first post, its thread) `days` back in time."""
    with atomic():
        post = db.session.get(Post, post_id)
        post.created_at = post.created_at - timedelta(days=days)
        if post.number == 1:
            post.thread.created_at = post.created_at


@pytest.fixture
def network(communities, mod, admin) -> Network:
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.id).limit(2)).all()
    org_a, org_b = orgs[0].id, orgs[1].id
    alice = make_user("Alice Ash", organisation=str(org_a), communities=("procurement", "finance"))
    bob = make_user("Bob Birch", organisation=str(org_b), communities=("procurement", "finance"))
    carol = make_user("Carol Cedar", communities=("procurement",))
    thread = start(alice)
    first = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.number == 1))
    posts = {"first": first}
    posts["bob"] = reply(bob, thread.id, "Weighting of 10%.").id  # B answers A: a pair
    posts["carol"] = reply(carol, thread.id, "Same here.").id  # no organisation: no pair
    posts["alice"] = reply(alice, thread.id, "Thanks Bob", reply_to_id=posts["bob"]).id  # pair
    posts["gone"] = reply(bob, thread.id, "Oops, wrong thread.").id
    with atomic():
        thread_actions.delete_post(live(bob), posts["gone"])
    posts["hidden"] = reply(carol, thread.id, "Buy my product").id
    with atomic():
        db.session.get(Post, posts["hidden"]).hidden_at = utcnow()  # as moderation hides
        db.session.get(Post, posts["hidden"]).hidden_reason = "moderator"
    other = start(bob, "finance", title="Year-end accounts", body="Any tips?")
    posts["finance_first"] = db.session.scalar(
        select(Post.id).where(Post.thread_id == other.id, Post.number == 1)
    )
    posts["finance_reply"] = reply(alice, other.id, "Start early.").id  # A answers B: a pair
    backdate_post(posts["finance_first"], 20)
    backdate_post(posts["finance_reply"], 19)
    with atomic():
        thread_actions.toggle_reaction(live(carol), first, "thumbs_up")
    chat(alice, "Morning all")
    chat(bob, "Morning Alice")  # within 10 minutes, another organisation: an exchange
    chat(alice, "Coffee at 11?")  # and back
    chat(alice, "Anyone?")  # the same organisation as the one before: not an exchange
    chat(alice, "In finance", room="finance")
    event_id = make_event(mod, title="Tender clinic")
    with atomic():
        rsvp.rsvp(live(alice), event_id, "going")
        rsvp.rsvp(live(bob), event_id, "going")
        rsvp.rsvp(live(carol), event_id, "maybe")
    with atomic():  # the clinic happened: it ended an hour ago
        event = db.session.get(Event, event_id)
        length = event.ends_at - event.starts_at
        event.ends_at = utcnow() - timedelta(hours=1)
        event.starts_at = event.ends_at - length
    with atomic():
        feedback.give_feedback(live(alice), event_id, rating=4)
        feedback.give_feedback(live(bob), event_id, rating=5)
    from tests.resources.helpers import submit

    resource_id = submit(alice, title="Tender toolkit")
    with atomic():
        resource_actions.approve_resource(live(mod), resource_id)
    with atomic():
        resource_actions.count_download(db.session.get(Resource, resource_id))
        resource_actions.count_download(db.session.get(Resource, resource_id))
    db.session.rollback()
    return Network(org_a, org_b, live(alice), live(bob), live(carol), live(mod), thread.id,
                   posts, event_id, resource_id)  # fmt: skip


# --- counts straight from the tables (Python over the rows: no shared SQL with the rollup) ---


def _org(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return (user.organisation_id or 0) if user else 0


def _post_in_view(post: Post) -> bool:
    thread = post.thread
    return (post.deleted_at is None and post.hidden_at is None and thread.deleted_at is None
            and thread.hidden_at is None)  # fmt: skip


def _room_community(room: ChatRoom) -> int:
    if room.kind == "community":
        return room.target_id
    return db.session.get(Event, room.target_id).community_id or 0


def straight_counts(first, last, community_id=None) -> dict[str, int]:
    """Every figure for the UTC days first..last (one community's, or the network's)."""
    db.session.rollback()

    def within(when) -> bool:
        return when is not None and first <= when.date() <= last

    def here(cid) -> bool:
        return community_id is None or cid == community_id

    posts = [p for p in db.session.scalars(select(Post)) if _post_in_view(p)]
    threads = [t for t in db.session.scalars(select(Thread))
               if t.deleted_at is None and t.hidden_at is None]  # fmt: skip
    messages = [m for m in db.session.scalars(select(ChatMessage))
                if m.deleted_at is None and m.hidden_at is None]  # fmt: skip
    rooms = {r.id: _room_community(r) for r in db.session.scalars(select(ChatRoom))}
    events = {e.id: e for e in db.session.scalars(select(Event))
              if e.cancelled_at is None and e.hidden_at is None}  # fmt: skip

    def first_community(resource_id):
        ids = db.session.scalars(
            select(ResourceCommunity.community_id).where(
                ResourceCommunity.resource_id == resource_id
            )
        ).all()
        return min(ids) if ids else 0

    resources = {r.id: r for r in db.session.scalars(select(Resource))
                 if r.status in ("published", "archived") and r.hidden_at is None}  # fmt: skip
    active = set()
    for p in posts:
        if within(p.created_at) and p.author_id and here(p.thread.community_id):
            active.add(p.author_id)
    for m in messages:
        if within(m.created_at) and m.author_id and here(rooms[m.room_id]):
            active.add(m.author_id)
    for r in db.session.scalars(select(Reaction)):
        post = db.session.get(Post, r.post_id)
        if within(r.created_at) and _post_in_view(post) and here(post.thread.community_id):
            active.add(r.user_id)
    for a in db.session.scalars(select(EventRsvp)):
        event = events.get(a.event_id)
        if event is not None and within(a.updated_at) and here(event.community_id or 0):
            active.add(a.user_id)
    feedback_rows = [
        f for f in db.session.scalars(select(EventFeedback))
        if f.event_id in events and within(f.created_at)
        and here(events[f.event_id].community_id or 0)
    ]  # fmt: skip
    for f in feedback_rows:
        if f.user_id:
            active.add(f.user_id)
    return {
        "active_members": len(active),
        "new_members": sum(within(u.created_at) for u in db.session.scalars(select(User)))
        if community_id is None
        else 0,
        "threads": sum(within(t.created_at) and here(t.community_id) for t in threads),
        "posts": sum(
            within(p.created_at) and p.number > 1 and here(p.thread.community_id) for p in posts
        ),
        "chat_messages": sum(within(m.created_at) and here(rooms[m.room_id]) for m in messages),
        "resources_published": sum(
            within(r.published_at) and here(first_community(r.id)) for r in resources.values()
        ),
        "resource_downloads": sum(
            d.count
            for d in db.session.scalars(select(ResourceDownloadDay))
            if d.resource_id in resources
            and first <= d.day <= last
            and here(first_community(d.resource_id))
        ),  # fmt: skip
        "event_attendance": sum(
            1
            for a in db.session.scalars(select(EventRsvp))
            if a.status == "going"
            and a.event_id in events
            and within(events[a.event_id].ends_at)
            and here(events[a.event_id].community_id or 0)
        ),  # fmt: skip
        "event_feedback": len(feedback_rows),
        "event_rating_sum": sum(f.rating for f in feedback_rows),
    }


def straight_exchanges(first, last) -> dict[tuple[str, int, int], int]:
    """(kind, org low, org high) -> exchanges, from the posts and messages themselves."""
    db.session.rollback()
    pairs: dict = {}

    def add(kind, a, b, when):
        if a and b and a != b and first <= when.date() <= last:
            key = (kind, min(a, b), max(a, b))
            pairs[key] = pairs.get(key, 0) + 1

    for p in db.session.scalars(select(Post)):
        if p.number == 1 or not _post_in_view(p):
            continue
        if p.reply_to_id:
            target = db.session.get(Post, p.reply_to_id)
        else:
            target = db.session.scalar(
                select(Post).where(Post.thread_id == p.thread_id, Post.number == 1)
            )
        add("reply", _org(p.author_id), _org(target.author_id), p.created_at)
    by_room: dict = {}
    for m in db.session.scalars(select(ChatMessage).order_by(ChatMessage.number)):
        if m.deleted_at is None and m.hidden_at is None:
            by_room.setdefault(m.room_id, []).append(m)
    for messages in by_room.values():
        for before, m in zip(messages, messages[1:], strict=False):
            if m.created_at - before.created_at <= timedelta(minutes=10):
                add("chat", _org(m.author_id), _org(before.author_id), m.created_at)
    return pairs


def community_id(slug: str) -> int:
    return db.session.scalar(select(Community.id).where(Community.slug == slug))


__all__ = ["update"]
