"""Demo events: the record's networking days and working-group meetings as past events, and a
few upcoming ones around them (one starting within the hour of loading, so a newcomer sees a
room about to open; one nearly full), with demo members' RSVPs.

Past events are created through `create_event(..., allow_past=True)` by whoever organises
them for real: the demo admin for the networking days (network-wide), each community's demo
moderator for its working groups. The record gives months only ("2006-09"): the meeting is
put on the month's second Tuesday and its description says that the record keeps the month.

RSVPs go through the RSVP action. Each past event's room is opened, given a short chat from
its people (`past_event_transcripts()`) and closed, so its record is kept as the rooms job
keeps it.
"""

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .. import signals
from ..accounts.models import User
from ..chat import actions as chat_actions
from ..communities.models import Community
from ..communities.queries import all_members, moderators_of
from ..db import utcnow
from ..extensions import db
from ..seed import load_record
from .actions import EventDetails, create_event
from .models import Event
from .rsvp import rsvp
from .rules import to_local

ZONE = "Europe/London"
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
PRECISION = "The programme record keeps the month of this meeting, not its day."

NETWORKING_DAY = (
    "One of the network's four networking days: development partnerships from every region "
    "met to compare what worked, in workshops on procurement, finance, health and impact."
)
WORKING_GROUP = (
    "A meeting of the {name} working group: partners brought their cases and agreed what to "
    "take to policy makers."
)

TRANSCRIPT_LINES = [
    "Good morning everyone, we'll start in two minutes.",
    "Thanks for coming. The slides are in the resource bank.",
    "Could the partners from the North West say how the pilot went?",
    "We ran it with two councils: the short version is that it worked where a named officer "
    "owned it.",
    "That matches what we saw in Wales.",
    "Can we capture that as one of the policy asks?",
    "Agreed. I'll write it up for the network.",
    "Question from the floor: who funds the follow-up?",
    "Let's take that to the next meeting.",
    "Thank you all, see you at the next one.",
]


def _second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def _month_words(value: str) -> tuple[int, int, str]:
    year, month = (int(p) for p in value.split("-"))
    return year, month, f"{MONTHS[month - 1]} {year}"


def _past(organiser: User, community: Community | None, value: str, *, title: str,
          description: str, hours: tuple[int, int], location: str) -> Event:  # fmt: skip
    year, month, words = _month_words(value)
    day = _second_tuesday(year, month)
    starts = datetime.combine(day, time(hours[0]))
    event = create_event(
        organiser,
        EventDetails(
            title=f"{title}, {words}",
            starts=starts,
            ends=datetime.combine(day, time(hours[1])),
            timezone=ZONE,
            description=f"{description}\n\n_{PRECISION}_",
            community=community.slug if community else None,
            location=location,
        ),
        allow_past=True,
    )
    # Announced about six weeks ahead, as they were: the feeds date them so.
    event.created_at = event.updated_at = event.starts_at - timedelta(weeks=6)
    return event


def _organiser(community: Community, admin: User) -> User:
    return (moderators_of(community, everyone=True) or [admin])[0]


def demo_past_events(admin: User, record: dict) -> list[Event]:
    """The record's networking days (network-wide) and working groups (in their community)."""
    events = [
        _past(admin, None, value, title="Networking day", description=NETWORKING_DAY,
              hours=(10, 16), location="A partner's venue (the record does not say which)")
        for value in record["networking_days"]
    ]  # fmt: skip
    communities = {c.slug: c for c in db.session.scalars(select(Community))}
    for group in record["working_groups"]:
        community = communities[group["community"]]
        description = WORKING_GROUP.format(name=community.name.lower())
        if group.get("note"):
            description += f"\n\nFrom the record: {group['note']}."
        events.append(
            _past(_organiser(community, admin), community, group["date"],
                  title=f"{community.name} working group", description=description,
                  hours=(10, 13), location="A partner's offices")
        )  # fmt: skip
    return events


def _soon(delta: timedelta) -> datetime:
    """Wall-clock time in ZONE, `delta` from now, on the next five minutes."""
    at = to_local(utcnow() + delta, ZONE).replace(tzinfo=None, second=0, microsecond=0)
    return at + timedelta(minutes=(5 - at.minute % 5) % 5)


def _day_at(ahead: timedelta, hour: int) -> datetime:
    """Wall-clock `hour`:00 in ZONE on the day `ahead` from now."""
    return datetime.combine(to_local(utcnow() + ahead, ZONE).date(), time(hour))


def _upcoming(organiser: User, community: Community | None, *, title: str, starts: datetime,
              length: timedelta, description: str, location: str = "",
              join_url: str | None = None, capacity: int | None = None) -> Event:  # fmt: skip
    return create_event(
        organiser,
        EventDetails(
            title=title, starts=starts, ends=starts + length, timezone=ZONE,
            description=description, community=community.slug if community else None,
            location=location, join_url=join_url, capacity=capacity,
        ),
    )  # fmt: skip


def _rsvp(event: Event, users: list[User], statuses: list[str]) -> int:
    """Demo members answer through the RSVP action, as members do."""
    for user, status in zip(users, statuses, strict=False):
        rsvp(user, event.id, status)
    return min(len(users), len(statuses))


def demo_upcoming_events(rng: random.Random, admin: User) -> tuple[list[Event], int]:
    """A few events ahead: one within the hour, one nearly full, with members' RSVPs."""
    communities = {c.slug: c for c in db.session.scalars(select(Community))}
    procurement, health = communities["procurement"], communities["health"]
    everyone = list(db.session.scalars(select(User).where(User.id != admin.id)))
    events, rsvps = [], 0

    drop_in = _upcoming(
        admin, None, title="Drop-in: meet the network", starts=_soon(timedelta(minutes=30)),
        length=timedelta(hours=1), location="Online, in this event's live room",
        description="Half an hour to say hello: new members, tell us what you work on and "
        "what you are looking for. The room opens 15 minutes before the start.",
    )  # fmt: skip
    people = rng.sample(everyone, min(14, len(everyone)))
    rsvps += _rsvp(drop_in, people, ["going"] * 9 + ["maybe"] * 5)
    events.append(drop_in)

    members = all_members(procurement)
    clinic = _upcoming(
        _organiser(procurement, admin), procurement, title="Social value scoring clinic",
        starts=_day_at(timedelta(days=9), 10), length=timedelta(hours=2, minutes=30),
        capacity=12, location="Civic Centre, Newport (demo)",
        description="Bring a tender you are writing or scoring. **Twelve places**: say if you "
        "cannot come after all, so someone on the waiting list can.",
    )  # fmt: skip
    people = rng.sample(members, min(13, len(members)))
    rsvps += _rsvp(clinic, people, ["going"] * 11 + ["maybe", "not_going"])
    events.append(clinic)

    members = all_members(health)
    group = _upcoming(
        _organiser(health, admin), health, title="Health working group: social prescribing",
        starts=_day_at(timedelta(days=20), 14), length=timedelta(hours=1),
        join_url="https://meet.demo.example/health-working-group",
        description="Online: referral forms and what commissioners ask for.",
    )  # fmt: skip
    people = rng.sample(members, min(6, len(members)))
    rsvps += _rsvp(group, people, ["going", "going", "going", "maybe", "maybe", "not_going"])
    events.append(group)

    day = _upcoming(
        admin, None, title="Networking day 2027", length=timedelta(hours=6),
        starts=_day_at(timedelta(days=45), 10), location="The Pierhead, Cardiff Bay (demo)",
        description="The first networking day since the programme ended: partners from every "
        "region meet to compare what worked, in workshops on procurement, finance, health "
        "and impact.",
    )  # fmt: skip
    people = rng.sample(everyone, min(20, len(everyone)))
    rsvps += _rsvp(day, people, ["going"] * 14 + ["maybe"] * 6)
    events.append(day)
    return events, rsvps


def demo_records(past: list[Event]) -> int:
    """Each past event's room as it was on the day: open, a short chat from its people
    (`past_event_transcripts`), then closed, which keeps its transcript as the event's record
    (record.py, as the rooms job does). Returns how many messages were written."""
    db.session.flush()
    transcripts = past_event_transcripts()
    written = 0
    for event in past:
        event.room_state = "open"
        for i, (author, text) in enumerate(transcripts.get(event.id, [])):
            message, _ = chat_actions.send_message(
                author, f"event-{event.id}", body=text, client_id=f"demo-event-{event.id}-{i}",
                rate_limited=False,
            )  # fmt: skip
            message.created_at = event.starts_at + timedelta(minutes=4 * i + 2)
            written += 1
        event.room_state = "closed"
        signals.event_room_changed.emit(event=event, state="closed")
    return written


def demo_events(rng: random.Random) -> str:
    from ..demo import ADMIN_EMAIL  # (the demo loader imports this module when it runs)

    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    past = demo_past_events(admin, load_record())
    messages = demo_records(past)
    upcoming, rsvps = demo_upcoming_events(rng, admin)
    return (
        f"{len(past)} past events from the record (with {messages} messages in their rooms, "
        f"kept as their records), {len(upcoming)} upcoming, {rsvps} RSVPs"
    )


def past_event_transcripts() -> dict[int, list[tuple[User, str]]]:
    """Hook for the rooms' record code (wired by the integrator): for each past demo event,
    a short chat from its people, (author, text) in order, to be posted in its room before
    the room's transcript is saved as the event's record."""
    now = utcnow()
    transcripts = {}
    past = select(Event).where(Event.ends_at < now, Event.cancelled_at.is_(None))
    for event in db.session.scalars(past.order_by(Event.starts_at, Event.id)):
        rng = random.Random(event.id)  # the same chat for the same event, run after run
        people = all_members(event.community) if event.community else []
        if not people:
            people = list(db.session.scalars(select(User).order_by(User.id).limit(60)))
        if event.organiser is not None:
            people = [p for p in people if p.id != event.organiser_id]
        if len(people) < 2:
            continue
        speakers = rng.sample(people, min(4, len(people)))
        host = event.organiser or speakers[0]
        middle = TRANSCRIPT_LINES[1:-1]
        kept = sorted(rng.sample(range(len(middle)), rng.randint(4, len(middle))))
        transcripts[event.id] = [
            (host, TRANSCRIPT_LINES[0]),
            *((rng.choice(speakers), middle[i]) for i in kept),
            (host, TRANSCRIPT_LINES[-1]),
        ]
    return transcripts
