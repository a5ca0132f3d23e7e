"""Who may use a chat room: one access policy per kind of room, registered here.

A room belongs to a target: a community (kind "community") and, later, an event. Its name
in URLs and in the Socket.IO protocol is the target's address: a community's slug, or a
kind's prefix and the target's key ("event-12"). `address()` is the one place that maps a
name to (kind, key); every chat event then asks `standing()`, which loads the target, its
room and the user's mute there in one query and lets the kind's policy decide.

A kind is added by its own domain calling `register_room_kind(kind, policy)`: chat code does
not change. Rooms are made with their target (`create_room`, in the target's transaction);
a read never writes, and a target without a room has no chat.
"""

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, select

from ..accounts.models import User
from ..errors import NotFound
from ..extensions import db
from ..rooms import chat_room
from .models import ChatMute, ChatRoom

NOT_FOUND = "We could not find that chat room."


@dataclass(frozen=True)
class Header:
    """The top of a room's page: its title and where it links; a kind may give a template
    of its own (with its context) for a fuller header."""

    title: str
    link: str
    template: str | None = None
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """A policy's answer for one user and one target (None from `decide`: cannot read)."""

    write_problem: str | None  # why they may not write (None: they may)
    moderate: bool
    community_id: int | None = None  # the community notifications from the room belong to


class RoomPolicy(Protocol):
    # A room name of this kind starts with `prefix` ("" for the one kind without a prefix,
    # the communities); the rest is the key the policy looks its target up by.
    prefix: str
    # Optional: `opens_live = True` for a kind whose rooms open and close while pages are
    # open (events'): the page then keeps a hidden composer that a join's `write_problem`
    # shows (chat/actions.py room_page, static/js/chat.js).

    def query(self, user: User, key: str) -> tuple[Select, Any] | None:
        """A select of the target's row (the target first, then whatever `decide` needs)
        for `key`, and the column of the target's id; None when `key` is malformed."""

    def decide(self, user: User, row) -> Decision | None:
        """What `user` may do, from the row `query` returned; None when they cannot read."""

    def title(self, target) -> str:
        """The room's title in words ("the {title} chat"), outside any request too."""

    def header(self, user: User, target) -> Header:
        """The room page's header (in a request: its link is a URL)."""

    def names(self, target_ids: list[int]) -> dict[int, str]:
        """The room names for these targets' ids, in one query."""

    def followed(self, user: User) -> Select:
        """A select of the target ids whose rooms count for `user`'s unread marks."""

    def community_of(self, target_id: int) -> int | None:
        """The community whose moderators look after the room (None: the admins)."""


_policies: dict[str, RoomPolicy] = {}


def register_room_kind(kind: str, policy: RoomPolicy) -> None:
    """Make rooms of `kind` usable, decided by `policy` (a kind's domain calls this once)."""
    prefixes = {p.prefix: k for k, p in _policies.items() if k != kind}
    if policy.prefix in prefixes:
        raise ValueError(f"room kind {prefixes[policy.prefix]!r} already uses that prefix")
    _policies[kind] = policy


def unregister_room_kind(kind: str) -> None:
    _policies.pop(kind, None)


def policy(kind: str) -> RoomPolicy:
    return _policies[kind]


def kinds() -> dict[str, RoomPolicy]:
    return dict(_policies)


def address(name) -> tuple[str, str]:
    """The (kind, key) a room name stands for: the kind with the longest prefix the name
    starts with. Raises NotFound for a name that is no room's."""
    if not isinstance(name, str) or not 0 < len(name) <= 80:
        raise NotFound(NOT_FOUND)
    best = None
    for kind, p in _policies.items():
        if name.startswith(p.prefix) and (best is None or len(p.prefix) > len(best[1].prefix)):
            best = (kind, p)
    if best is None or len(name) == len(best[1].prefix):
        raise NotFound(NOT_FOUND)
    return best[0], name[len(best[1].prefix) :]


@dataclass
class Standing:
    """A user's standing in a room: the room, its name, its target and the policy's word."""

    kind: str
    name: str
    room: ChatRoom
    target: Any
    decision: Decision
    mute: ChatMute | None


def standing(user: User, name) -> Standing:
    """The room called `name`, its target, and `user`'s rights and mute there, in one
    query. A room the user may not read, or that does not exist, is NotFound."""
    kind, key = address(name)
    p = _policies[kind]
    built = p.query(user, key)
    if built is None:
        raise NotFound(NOT_FOUND)
    stmt, target_id = built
    row = db.session.execute(
        stmt.add_columns(ChatRoom, ChatMute)
        .join(ChatRoom, (ChatRoom.kind == kind) & (ChatRoom.target_id == target_id))
        .outerjoin(ChatMute, (ChatMute.room_id == ChatRoom.id) & (ChatMute.user_id == user.id))
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    *target_row, room, mute = row
    decision = p.decide(user, tuple(target_row))
    if decision is None:
        raise NotFound(NOT_FOUND)
    room.name = name
    return Standing(kind, name, room, target_row[0], decision, mute)


def readers(users: list[User], name: str) -> list[tuple[User, Standing]]:
    """Those of `users` who may read the room called `name`, with their standing there."""
    out = []
    for user in users:
        with contextlib.suppress(NotFound):
            out.append((user, standing(user, name)))
    return out


def create_room(kind: str, target_id: int) -> ChatRoom:
    """The room of a new target, in the target's transaction (the target is flushed)."""
    if kind not in _policies:
        raise ValueError(f"no room kind {kind!r}")
    room = ChatRoom(kind=kind, target_id=target_id, last_number=0)
    db.session.add(room)
    return room


def socket_room(room: ChatRoom) -> str:
    """The Socket.IO room of a chat room's members who joined it."""
    return chat_room(room.id)


def room_of(kind: str, target_id: int) -> ChatRoom | None:
    return db.session.scalar(
        select(ChatRoom).where(ChatRoom.kind == kind, ChatRoom.target_id == target_id)
    )


def community_of(room: ChatRoom) -> int | None:
    return _policies[room.kind].community_of(room.target_id)


def room_name(room: ChatRoom) -> str | None:
    """The protocol name of a room known only by its row (None: its target is gone)."""
    return room_names([room]).get(room.id)


def room_names(rooms: list[ChatRoom]) -> dict[int, str]:
    """Room id → protocol name, one query per kind."""
    by_kind: dict[str, list[ChatRoom]] = {}
    for room in rooms:
        by_kind.setdefault(room.kind, []).append(room)
    out = {}
    for kind, group in by_kind.items():
        p = _policies.get(kind)
        if p is None:
            continue
        names = p.names([r.target_id for r in group])
        out.update({r.id: names[r.target_id] for r in group if r.target_id in names})
    return out
