"""Chat: rooms, sending, editing and deleting messages, catch-up and history, mutes, read
positions. The Socket.IO handlers, the HTTP views, the CLI and the tests all call these.

Who may do what is the room kind's policy (access.py; communities/rooms.py for community
rooms): who reads, who writes (and is not muted in the room), who moderates. Moderators
delete any message and mute members.
"""

import re
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import ratelimits, realtime, signals
from ..accounts.models import User
from ..db import utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import is_id
from ..moderation.audit import record
from ..rooms import user_room
from ..threads import mentions
from . import access
from .access import socket_room
from .models import ChatMessage, ChatMute, ChatRead, ChatRoom

BODY_MAX = 2000
PAGE = 50  # messages on opening a room, and per scroll-back
CATCH_UP_MAX = 500  # per chat.since call; `more` says when to ask again
MUTE_MAX_MINUTES = 7 * 24 * 60
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")
# Rate-limit counts live in Redis when scaled out: while it is down nothing can be counted.
NOT_SENT = "Live chat is reconnecting; your message was not sent. Try again in a moment."
NOT_SAVED = "Live chat is reconnecting; your change was not saved. Try again in a moment."
RECONNECTING = "Live chat is reconnecting. Try again in a moment."
HIDDEN = "That message is hidden while a moderator reviews it."


# --- rooms and access -----------------------------------------------------------------------


def _standing(user: User | None, name: str, need: str = "read") -> access.Standing:
    """The room called `name` and the user's standing there, checked for `need`: "read",
    "write" or "moderate". A room the user may not read does not exist for them."""
    if user is None or not user.is_authenticated:
        raise Forbidden("Please sign in to use the chat.")
    standing = access.standing(user, name)
    if need == "write":
        if standing.decision.write_problem is not None:
            raise Forbidden(standing.decision.write_problem)
        _check_not_muted(standing.mute)
    elif need == "moderate" and not standing.decision.moderate:
        raise Forbidden("Only this room's moderators can do that.")
    return standing


def access_room(user: User | None, name: str, *, need: str = "read") -> ChatRoom:
    """The room called `name`, checked for `need` ("read", "write" or "moderate")."""
    return _standing(user, name, need).room


def _write_problem(standing: access.Standing) -> str | None:
    problem = standing.decision.write_problem
    if problem is None:
        try:
            _check_not_muted(standing.mute)
        except Forbidden as exc:
            problem = exc.message
    return problem


def write_problem(user: User, name: str) -> str | None:
    """Why the reader may not write in the room now (None: they may): what the join ack
    says, so an open page shows or hides its composer when a room opens or closes."""
    return _write_problem(_standing(user, name))


def room_page(user: User, name: str) -> dict:
    """What the room's page shows about the reader: header, may they write, moderate, and
    whether the page keeps a hidden composer for a room that may open while it is shown (a
    kind whose policy says `opens_live`, as events' rooms do)."""
    standing = _standing(user, name)
    problem = _write_problem(standing)
    return {
        "header": access.policy(standing.kind).header(user, standing.target),
        "can_write": problem is None,
        "write_problem": problem,
        "moderator": standing.decision.moderate,
        "opens_live": getattr(access.policy(standing.kind), "opens_live", False),
    }


def muted_until(user: User, room: ChatRoom):
    mute = db.session.scalar(
        select(ChatMute).where(ChatMute.room_id == room.id, ChatMute.user_id == user.id)
    )
    return _still_muted(mute)


def _still_muted(mute: ChatMute | None):
    if mute is None or mute.until <= utcnow():
        return None
    return mute.until


def _check_not_muted(mute: ChatMute | None) -> None:
    until = _still_muted(mute)
    if until is not None:
        raise Forbidden(
            "A moderator has muted you in this room until "
            f"{until:%-d %b %H:%M} UTC. You can still read it."
        )


# --- messages -------------------------------------------------------------------------------


def check_body(value) -> str:
    if not isinstance(value, str):
        raise Invalid("A message is text.", field="body")
    body = value.replace("\r\n", "\n").strip()
    if "\x00" in body:
        raise Invalid("A message cannot contain NUL characters.", field="body")
    if not body:
        raise Invalid("Write something first: the message is empty.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(
            f"A message has at most {BODY_MAX:,} characters; this one has {len(body):,}.",
            field="body",
        )
    return body


def check_client_id(value) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise Invalid("Malformed request: client_id must be 1 to 64 letters, digits or -_.:")
    return value


def _check_rate(user: User, name: str = "chat_send", *, unavailable: str = NOT_SENT) -> None:
    """At most RATE_LIMITS[name] per member: "chat_send" for messages and edits (a resend
    does not count), "chat_typing" for typing notices. When the counts cannot be reached
    (Redis down), the operation is refused with `unavailable`."""
    message = "You are sending messages too fast. Wait a moment and try again."
    ratelimits.check(name, user.id, message, error=Invalid, unavailable=unavailable)


def typing(user: User, name: str) -> ChatRoom:
    """Check that the member may say they are typing in the room (a writer, not too often)."""
    room = access_room(user, name, need="write")
    _check_rate(user, "chat_typing", unavailable=RECONNECTING)
    return room


def _lock(room: ChatRoom) -> ChatRoom:
    """The room's row lock, read fresh: messages are numbered under it. On SQLite the write
    transaction (`atomic`'s BEGIN IMMEDIATE) is the lock, and the room was read inside it."""
    if db.engine.dialect.name != "postgresql":
        return room
    stmt = select(ChatRoom).where(ChatRoom.id == room.id).with_for_update(of=ChatRoom)
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def send_message(
    user: User, name: str, *, body, client_id, rate_limited: bool = True
) -> tuple[ChatMessage, bool]:
    """Post a message; (the message, True) — or (the earlier one, False) when this
    client_id was sent before, so a resend never makes a second message.

    `rate_limited=False` is for the demo loader, which writes a conversation at once."""
    client_id = check_client_id(client_id)
    body = check_body(body)
    room = access_room(user, name, need="write")
    room = _lock(room)
    earlier = db.session.scalar(
        select(ChatMessage).where(
            ChatMessage.author_id == user.id, ChatMessage.client_id == client_id
        )
    )
    if earlier is not None:
        if earlier.room_id != room.id:
            raise Invalid("Malformed request: that client_id was used in another room.")
        return earlier, False
    if rate_limited:
        _check_rate(user)
    html, mentioned = mentions.render(body)
    now = utcnow()
    room.last_number += 1
    room.last_message_at = now
    message = ChatMessage(
        room_id=room.id, number=room.last_number, author=user, client_id=client_id,
        body=body, html=html, created_at=now,
    )  # fmt: skip
    db.session.add(message)
    db.session.flush()
    _record_read(user, room, message.number)
    others = [u for u in mentioned if u.id != user.id]
    signals.chat_message_posted.emit(message=message, room=room, mentioned=others)
    realtime.publish("chat.message", message_payload(message, room), room=socket_room(room))
    return message, True


def _message(room: ChatRoom, number) -> ChatMessage:
    if not is_id(number):
        raise Invalid("Malformed request: id must be a message number.")
    message = db.session.scalar(
        select(ChatMessage).where(ChatMessage.room_id == room.id, ChatMessage.number == number)
    )
    if message is None or message.deleted_at is not None:
        raise NotFound("That message is not there any more.")
    if message.hidden_at is not None:
        raise NotFound(HIDDEN)
    return message


def edit_message(user: User, name: str, number, *, body) -> ChatMessage:
    """Change one's own message (live for everyone)."""
    body = check_body(body)
    room = access_room(user, name, need="write")
    message = _message(room, number)
    if message.author_id != user.id:
        raise Forbidden("You can only edit your own messages.")
    if body != message.body:
        _check_rate(user, unavailable=NOT_SAVED)  # edits count with sends: each is broadcast
        html, mentioned = mentions.render(body)
        message.body, message.html, message.edited_at = body, html, utcnow()
        others = [u for u in mentioned if u.id != message.author_id]
        signals.chat_message_edited.emit(message=message, room=room, mentioned=others)
        realtime.publish("chat.edited", message_payload(message, room), room=socket_room(room))
    return message


def delete_message(user: User, name: str, number) -> ChatMessage:
    """Delete a message: one's own, or any as the community's moderator."""
    standing = _standing(user, name)
    room = standing.room
    message = _message(room, number)
    moderator = standing.decision.moderate
    if message.author_id != user.id and not moderator:
        raise Forbidden("You can only delete your own messages.")
    if message.author_id == user.id and not moderator and standing.decision.write_problem:
        raise Forbidden(standing.decision.write_problem)
    message.deleted_at, message.deleted_by_id = utcnow(), user.id
    signals.target_deleted.emit(kind="chat_message", id=message.id, by=user)
    if message.author_id != user.id:
        record(user, "chat.delete_message", ("chat_room", room.id),
               community=standing.decision.community_id, number=message.number,
               author_id=message.author_id)  # fmt: skip
    realtime.publish(
        "chat.deleted", {"room": room.name, "id": message.number}, room=socket_room(room)
    )
    return message


def message_payload(message: ChatMessage, room: ChatRoom, *, moderator: bool = False) -> dict:
    """A message as the protocol sends it; a deleted or hidden one is only its place (a
    hidden one says so: `hidden: true`). The room's moderators still read a hidden one, in
    full, marked `hidden: true` (what the room hears live is the members' version: the
    moderators' pages keep the text they already show)."""
    if message.deleted_at is not None:
        return {"room": room.name, "id": message.number, "deleted": True}
    if message.hidden_at is not None and not moderator:
        return {"room": room.name, "id": message.number, "deleted": True, "hidden": True}
    author = message.author
    payload = {
        "room": room.name,
        "id": message.number,
        "author": {"id": author.id, "name": author.display_name} if author else None,
        "html": message.html,
        "body": message.body,  # the Markdown, for its author's edit box
        "created_at": message.created_at.isoformat() + "Z",
        "edited_at": message.edited_at.isoformat() + "Z" if message.edited_at else None,
        "client_id": message.client_id,
        "ref": message.id,  # its id across rooms, for its Flag link (/flag/chat_message/<ref>)
    }
    if message.hidden_at is not None:
        payload["hidden"], payload["hidden_reason"] = True, message.hidden_reason
    return payload


def payloads_for(user: User, room: ChatRoom, messages: list[ChatMessage]) -> list[dict]:
    """The messages as this reader may see them (moderators: hidden ones too, marked)."""
    moderator = _standing(user, room.name).decision.moderate
    return [message_payload(m, room, moderator=moderator) for m in messages]


# --- reading --------------------------------------------------------------------------------


def _as_number(value, *, allow_zero: bool = False) -> int:
    if not is_id(value, allow_zero=allow_zero):
        raise Invalid("Malformed request: give a message id (a whole number).")
    return value


def recent(user: User, name: str, limit: int = PAGE) -> tuple[ChatRoom, list[ChatMessage]]:
    """The room and its last `limit` messages, oldest first."""
    room = access_room(user, name)
    rows = db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.room_id == room.id)
        .order_by(ChatMessage.number.desc())
        .limit(limit)
    )
    return room, list(reversed(rows.all()))


def since(user: User, name: str, after_id) -> tuple[ChatRoom, list[ChatMessage], bool]:
    """Every message after `after_id`, in order (at most CATCH_UP_MAX; then more=True)."""
    after_id = _as_number(after_id, allow_zero=True)
    room = access_room(user, name)
    rows = db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.room_id == room.id, ChatMessage.number > after_id)
        .order_by(ChatMessage.number)
        .limit(CATCH_UP_MAX + 1)
    ).all()
    return room, list(rows[:CATCH_UP_MAX]), len(rows) > CATCH_UP_MAX


def history(user: User, name: str, before_id) -> tuple[ChatRoom, list[ChatMessage]]:
    """The PAGE messages before `before_id`, oldest first (scrolling back)."""
    before_id = _as_number(before_id)
    room = access_room(user, name)
    rows = db.session.scalars(
        select(ChatMessage)
        .where(ChatMessage.room_id == room.id, ChatMessage.number < before_id)
        .order_by(ChatMessage.number.desc())
        .limit(PAGE)
    )
    return room, list(reversed(rows.all()))


# --- read positions -------------------------------------------------------------------------


def _record_read(user: User, room: ChatRoom, number: int) -> None:
    updated = db.session.execute(
        update(ChatRead)
        .where(
            ChatRead.user_id == user.id,
            ChatRead.room_id == room.id,
            ChatRead.last_read_number < number,
        )
        .values(last_read_number=number)
        .execution_options(synchronize_session=False)  # nothing reads a held ChatRead after this
    ).rowcount
    if updated:
        return
    exists = db.session.scalar(
        select(ChatRead.id).where(ChatRead.user_id == user.id, ChatRead.room_id == room.id)
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(ChatRead(user_id=user.id, room_id=room.id, last_read_number=number))
        except IntegrityError:
            pass  # a concurrent request recorded it a moment ago


def mark_read(user: User, name: str, number) -> None:
    """The member has seen the room up to `number`."""
    number = _as_number(number, allow_zero=True)
    room = access_room(user, name)
    _record_read(user, room, min(number, room.last_number))


def unread_target_ids(user: User | None, kind: str) -> set[int]:
    """The targets of `kind` (those the kind's policy says the member follows) whose rooms
    have messages they have not seen."""
    if user is None or not user.is_authenticated:
        return set()
    read = func.coalesce(ChatRead.last_read_number, 0)
    rows = db.session.scalars(
        select(ChatRoom.target_id)
        .outerjoin(ChatRead, (ChatRead.room_id == ChatRoom.id) & (ChatRead.user_id == user.id))
        .where(
            ChatRoom.kind == kind,
            ChatRoom.target_id.in_(access.policy(kind).followed(user)),
            ChatRoom.last_number > read,
        )
    )
    return set(rows)


def unread_community_ids(user: User | None) -> set[int]:
    """The communities (the member belongs to) whose chat has messages they have not seen."""
    return unread_target_ids(user, "community")


def recheck_live_room(kind: str, target_id: int) -> None:
    """Who may read the target changed (a member left a members-only community): after
    commit, empty its room and tell the open pages to join again, which checks access anew."""
    recheck_live_rooms(kind, [target_id])


def recheck_live_rooms(kind: str, target_ids) -> None:
    """`recheck_live_room` for many targets of one kind (a community's events), in two
    queries. `target_ids`: a list, or a select of the ids."""
    rooms = list(
        db.session.scalars(
            select(ChatRoom).where(ChatRoom.kind == kind, ChatRoom.target_id.in_(target_ids))
        )
    )
    names = access.room_names(rooms) if rooms else {}
    for room in rooms:
        if room.id in names:
            realtime.close_room(
                socket_room(room), notice="chat.recheck", payload={"room": names[room.id]}
            )


# --- moderation -----------------------------------------------------------------------------


def mute(actor: User, name: str, *, user_id, minutes) -> ChatMute:
    """Mute a member in a room for `minutes`. The community's moderators."""
    standing = _standing(actor, name, "moderate")
    room = standing.room
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not (1 <= minutes <= MUTE_MAX_MINUTES)
    ):
        raise Invalid("Mute for between 1 minute and 7 days.", field="minutes")
    target = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if target is None:
        raise NotFound("We could not find that member.")
    if any(s.decision.moderate for _, s in access.readers([target], name)):
        raise Invalid("Moderators cannot be muted.")
    until = utcnow() + timedelta(minutes=minutes)
    existing = db.session.scalar(
        select(ChatMute).where(ChatMute.room_id == room.id, ChatMute.user_id == target.id)
    )
    if existing is None:
        existing = ChatMute(room_id=room.id, user_id=target.id, until=until, muted_by_id=actor.id)
        db.session.add(existing)
    else:
        existing.until, existing.muted_by_id = until, actor.id
    record(actor, "chat.mute", ("chat_room", room.id), community=standing.decision.community_id,
           user_id=target.id, minutes=minutes)  # fmt: skip
    realtime.publish(
        "chat.muted",
        {"room": room.name, "until": until.isoformat() + "Z"},
        room=user_room(target.id),
    )
    return existing


def unmute(actor: User, name: str, *, user_id) -> None:
    standing = _standing(actor, name, "moderate")
    room = standing.room
    mute_row = db.session.scalar(
        select(ChatMute).where(ChatMute.room_id == room.id, ChatMute.user_id == user_id)
    )
    if mute_row is None:
        raise NotFound("That member is not muted here.")
    db.session.delete(mute_row)
    record(actor, "chat.unmute", ("chat_room", room.id), community=standing.decision.community_id,
           user_id=user_id)  # fmt: skip


def active_mutes(room: ChatRoom) -> list[tuple[ChatMute, User]]:
    return list(
        db.session.execute(
            select(ChatMute, User)
            .join(User, User.id == ChatMute.user_id)
            .where(ChatMute.room_id == room.id, ChatMute.until > utcnow())
            .order_by(ChatMute.until)
        )
    )
