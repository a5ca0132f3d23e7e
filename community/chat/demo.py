"""Demo chat: a short conversation in each community's room, from its own members, spread
over the last hours before the demo was loaded. Invented for the demo, sent through the
real action (numbered, rendered, with mentions)."""

import random
from datetime import timedelta

from sqlalchemy import select

from ..communities.models import Community
from ..communities.queries import all_members
from ..db import utcnow
from ..extensions import db
from . import access, actions
from .models import ChatMessage

LINES = [
    "Morning all. Is anyone going to the regional meeting on Thursday?",
    "I am, and I'll bring the notes from last time.",
    "Has anyone got a template for a **partnership agreement**? Ours is from 2009.",
    "We have one: I'll put it in the resource bank this afternoon.",
    "Thanks! That would save us a week.",
    "Reminder: the next networking day is on the events page. Sign up so we can plan rooms.",
    "Quick one: who is the best contact at the council for social value now?",
    "Try the procurement team's shared inbox, they answer within a day.",
    "Just read the evaluation report, the section on referrals is _really_ useful.",
    "Agreed. Could we discuss it properly in a thread?",
    "Good idea, I'll start one.",
    "Lovely to see this chat busy again 🙂",
]


def demo_chat(rng: random.Random) -> str:
    """Eight to twelve messages in each community's room."""
    rooms = total = 0
    for community in db.session.scalars(select(Community).order_by(Community.position)):
        members = all_members(community)
        if len(members) < 2:
            continue
        count = rng.randint(8, 12)
        previous = None
        for i, line in enumerate(rng.sample(LINES, count)):
            author = rng.choice([m for m in members if m is not previous] or members)
            if previous is not None and rng.random() < 0.2:
                line = f"@**{previous.display_name}** {line}"
            actions.send_message(
                author, community.slug, body=line, client_id=f"demo-{community.id}-{i}",
                rate_limited=False,
            )  # fmt: skip
            previous = author
        _spread_in_time(rng, community, count)
        rooms += 1
        total += count
    return f"{total} chat messages in {rooms} rooms"


def _spread_in_time(rng: random.Random, community: Community, count: int) -> None:
    """The messages were all sent just now: space them over the last few hours, in order."""
    room = access.room_of("community", community.id)
    messages = db.session.scalars(
        select(ChatMessage).where(ChatMessage.room_id == room.id).order_by(ChatMessage.number)
    ).all()
    at = utcnow() - timedelta(hours=rng.randint(2, 30))
    for message in messages:
        at += timedelta(minutes=rng.randint(1, 12))
        message.created_at = min(at, utcnow())
    room.last_message_at = messages[-1].created_at if messages else None
