"""The record of an event: when its room closes, the transcript is kept as a published
resource of kind "event-record" in the event's community (a network-wide event's in the
Equal learning network), linked both ways (`Event.record_id`; the resource's page says
"Record of <event>" through `event_of_record`).

The resource is published by the site itself (`resources.actions.publish_for_the_site`),
whatever the organiser may do now: demoted, suspended or gone, the record is kept all the
same. Its submitter is the organiser while their account exists (none after), so they,
like the community's other curators, edit it later in the bank: notes in its summary,
slides and recordings as file versions. Its summary holds the attendance (members who said
going; how many wrote in the room) and the transcript (messages not deleted, in order:
time, author, text); a transcript too long for a summary is cut there, and the resource's
link is the room itself, which stays readable (read-only) with the whole conversation. An
empty room still gets its record ("No messages were written in the room."); a cancelled
event gets one only if someone wrote.

Made once: the receiver runs in the transaction of the room's move to "closed", which one
UPDATE … WHERE room_state = the old state guards (rooms.py), and an event that already has
a record is never given a second. A record that could not be made then (logged) is made by
the rooms job at a later run (`retry_records`: closed rooms someone wrote in, without a
record), whose first UPDATE of the event's row claims it.
"""

import logging
import re

from flask import Flask
from sqlalchemy import func, select, update

from .. import signals
from ..accounts.models import User
from ..auth import actor
from ..chat.access import room_of
from ..chat.models import ChatMessage, ChatRoom
from ..communities.models import Community
from ..db import atomic
from ..errors import DomainError
from ..extensions import db
from ..links import absolute_url
from ..resources import actions as resource_actions
from ..resources.models import Resource
from ..resources.rules import SUMMARY_MAX, TITLE_MAX
from ..web import plural
from . import access, bp, rules
from .models import Event, EventRsvp
from .panels import register_panel

log = logging.getLogger(__name__)

KIND = "event-record"
# Where the records of network-wide events go (community/seed.py, data/network.json).
NETWORK_COMMUNITY = "equal-learning-network"
EMPTY = "No messages were written in the room."
# Records the rooms job tries again at each run, at most.
RETRY_BATCH = 20
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _plain(text: str) -> str:
    """Text (a name, a title) as Markdown that shows it as it is."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def attendance(event: Event, room_id: int | None) -> tuple[int, int]:
    """(members who said going, members who wrote in the room)."""
    going = db.session.scalar(
        select(func.count()).where(EventRsvp.event_id == event.id, EventRsvp.status == "going")
    )
    writers = 0
    if room_id is not None:
        writers = db.session.scalar(
            select(func.count(func.distinct(ChatMessage.author_id))).where(
                ChatMessage.room_id == room_id,
                ChatMessage.deleted_at.is_(None),
                ChatMessage.author_id.is_not(None),
            )
        )
    return going or 0, writers or 0


def _messages(room_id: int | None) -> list[ChatMessage]:
    if room_id is None:
        return []
    return list(
        db.session.scalars(
            select(ChatMessage)
            .where(ChatMessage.room_id == room_id, ChatMessage.deleted_at.is_(None))
            .order_by(ChatMessage.number)
        )
    )


def _entry(message: ChatMessage, zone: str, fmt: str) -> str:
    when = rules.to_local(message.created_at, zone).strftime(fmt)
    name = _plain(message.author.display_name) if message.author else "A former member"
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in message.body.split("\n"))
    return f"**{when} {name}**\n\n{quoted}"


def summary(event: Event, messages: list[ChatMessage], going: int, writers: int) -> str:
    """The record's summary in Markdown: what it is, who came, the transcript (cut to fit)."""
    zone = event.timezone
    starts = rules.to_local(event.starts_at, zone)
    where = "the network" if event.community is None else _plain(event.community.name)
    head = [
        f"The record of the event **{_plain(event.title)}** in {where}, "
        f"{starts.strftime('%-d %B %Y, %H:%M %Z')}.",
        f"{plural(going, 'member')} said they were going; "
        f"{plural(writers, 'member')} wrote in its live room.",
        "## Transcript",
    ]
    if not messages:
        return "\n\n".join([*head, EMPTY])
    multi_day = rules.to_local(event.ends_at, zone).date() != starts.date()
    fmt = "%-d %b %H:%M" if multi_day else "%H:%M"
    head.append(f"Times in {zone} ({starts.strftime('%Z')}).")
    entries = [_entry(m, zone, fmt) for m in messages]
    text = "\n\n".join([*head, *entries])
    if len(text) <= SUMMARY_MAX:
        return text
    cut = ("*The transcript is too long for this page: the whole conversation stays in the "
           "event's room, linked above.*")  # fmt: skip
    kept: list[str] = []
    size = len("\n\n".join([*head, cut])) + 2
    for entry in entries:
        if size + len(entry) + 2 > SUMMARY_MAX:
            break
        kept.append(entry)
        size += len(entry) + 2
    return "\n\n".join([*head, *kept, cut])


def _communities(event: Event) -> list[Community]:
    if event.community is not None:
        return [event.community]
    network = db.session.scalar(select(Community).where(Community.slug == NETWORK_COMMUNITY))
    if network is None:
        raise DomainError(f"there is no community {NETWORK_COMMUNITY!r} for the network's records")
    return [network]


def keep_record(event: Event) -> Resource | None:
    """Make the event's record (once): a published "event-record" resource, whatever the
    organiser may do now (they are its submitter while their account exists). None when it
    has one already or there is nothing to keep (a cancelled event's empty room), or when
    it could not be made (logged; the rooms job tries again, `retry_records`)."""
    if event.record_id is not None:
        return None
    room = room_of("event", event.id)
    room_id = room.id if room is not None else None
    messages = _messages(room_id)
    if event.is_cancelled and not messages:
        return None
    organiser = db.session.get(User, event.organiser_id) if event.organiser_id else None
    going, writers = attendance(event, room_id)
    details = resource_actions.Details(
        title=f"Record: {event.title}"[:TITLE_MAX],
        kind=KIND,
        communities=[],
        summary=summary(event, messages, going, writers),
        published=rules.to_local(event.starts_at, event.timezone).strftime("%Y-%m"),
        link=absolute_url("chat.room", name=f"event-{event.id}"),
    )
    try:
        with db.session.begin_nested():
            resource = resource_actions.publish_for_the_site(
                details, _communities(event), submitter=organiser
            )
    except DomainError as exc:
        log.warning("event %s: its record could not be kept: %s", event.id, exc.message)
        return None
    event.record_id = resource.id
    db.session.flush()
    return resource


def _missing_records(limit: int):
    """Closed rooms whose event has no record although someone wrote in them."""
    written = (
        select(ChatMessage.id)
        .where(ChatMessage.room_id == ChatRoom.id, ChatMessage.deleted_at.is_(None))
        .exists()
    )
    return (
        select(Event.id)
        .join(ChatRoom, (ChatRoom.kind == "event") & (ChatRoom.target_id == Event.id))
        .where(Event.room_state == "closed", Event.record_id.is_(None), written)
        .order_by(Event.ends_at)
        .limit(limit)
    )


def retry_records(limit: int = RETRY_BATCH) -> int:
    """Keep the records that could not be kept when their rooms closed (the rooms job, each
    event in its own transaction). The first UPDATE of the event's row claims it, so two
    runners never both make one: the second waits for the first's commit, then finds the
    record there. Returns how many were made."""
    made = 0
    for event_id in db.session.scalars(_missing_records(limit)).all():
        try:
            with atomic():
                claimed = db.session.execute(
                    update(Event)
                    .where(Event.id == event_id, Event.record_id.is_(None))
                    .values(record_id=Event.record_id)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed != 1:
                    continue
                event = db.session.get(Event, event_id)
                db.session.refresh(event)
                if keep_record(event) is not None:
                    made += 1
        except Exception:
            log.exception("event %s: its record could not be kept", event_id)
    return made


def _on_room_changed(_app, *, event: Event, state: str, **_) -> None:
    """event_room_changed: a room that closed leaves its record."""
    if state == "closed":
        keep_record(event)


def connect(app: Flask) -> None:
    signals.connect(app, (signals.event_room_changed, _on_room_changed))


def event_of_record(user: User | None, resource: Resource) -> Event | None:
    """The event whose record `resource` is, if the reader may see it."""
    event = db.session.scalar(select(Event).where(Event.record_id == resource.id))
    if event is None or not access.can_see(user, event):
        return None
    return event


def record_of(user: User | None, event: Event) -> Resource | None:
    """The event's record, if it has one the reader may see."""
    if event.record_id is None:
        return None
    resource = db.session.get(Resource, event.record_id)
    if resource is None or not resource_actions.can_view(user, resource):
        return None
    return resource


def _panel(event: Event, user: User | None) -> dict | None:
    resource = record_of(user, event)
    return None if resource is None else {"event": event, "record": resource}


register_panel("record", order=40, template="events/_record.html", context=_panel)


@bp.app_context_processor
def _record_links():
    """`event_of_record(resource)` for the resource page's "Record of <event>" line."""
    return {"event_of_record": lambda resource: event_of_record(actor(), resource)}
