"""Flags: members flag what they see; enough of them hide it until a moderator decides.

A kind of item that can be flagged (a post now; chat messages, resources, events and
profiles register the same way) is registered by its domain with how to load it as a
`Flagged` (its community, author, words to show), how to hide and restore it, and who may
flag it. This module imports no domain: it decides when an item is hidden and records the
decisions; each domain does what hiding means for its items.

A member flags an item once. When `Community.flag_threshold` distinct members have open
flags on an item, it is hidden at once. A moderator's decision closes every open flag on
the item and is told to those who flagged it, and to the author when it hid their item.
A kind may refuse some moderators of the item's community (`FlaggableKind.refusal`: an
admin's profile is decided by another admin, never by its admin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from . import audit
from .models import Flag

if TYPE_CHECKING:  # accounts' package imports its views, which import every domain
    from ..accounts.models import User

REASONS = {
    "spam": "Spam or advertising",
    "offensive": "Offensive or abusive",
    "off_topic": "Off-topic",
    "other": "Something else",
}
NOTE_MAX = 500

# What a moderator can decide about a flagged item, and what each means for its flags.
KEEP, HIDE, DELETE = "keep", "hide", "delete"
DECISIONS = {
    KEEP: "kept it up",  # the flags are dismissed; an item hidden by flags comes back
    HIDE: "hid it",
    DELETE: "deleted it",
}


@dataclass
class Flagged:
    """An item as moderation sees it."""

    kind: str
    id: int
    community_id: int | None
    author_id: int | None
    title: str  # what it is, for people: "a reply in “Tender scoring”"
    own_title: str  # the same, to its author: "your reply in “Tender scoring”"
    excerpt: str  # its words, plain text, shortened
    url: str  # where a moderator reads it in its context
    hidden: bool  # out of members' view now (by flags or a moderator)
    deleted: bool


@dataclass(frozen=True)
class FlaggableKind:
    label: str  # "post"
    load: Callable[[int], Flagged | None]  # None: no such item
    can_see: Callable[[User, int], bool]  # may this member read it (and so flag it)?
    hide: Callable[[int, User | None, str], None]  # (id, moderator or None, "flags"/"moderator")
    restore: Callable[[int, User], None]
    delete: Callable[..., None]  # (id, moderator), or with the reason (delete_takes_reason)
    # The notification target kind its author's and flaggers' notices point at (the
    # domain registers it: a moderated item stays linked while hidden).
    notice_target: str
    # What, deleted, takes items of this kind with it: {"thread": the ids of its posts}.
    parts_of: dict[str, Callable[[int], Select]] = field(default_factory=dict)
    # The notice kind that tells flaggers of a decision, where "flag.decided.<decision>"
    # would mislead ("deleted" a profile whose account stays).
    decided_notices: dict[str, str] = field(default_factory=dict)
    # Why this moderator (one of the item's community's) may not decide on it; None: they may.
    refusal: Callable[[User, Flagged], str | None] | None = None
    extra: dict = field(default_factory=dict)
    # What "delete" does to this kind, on the queue's button (an event is cancelled).
    delete_label: str = "Delete it"
    # True: `delete` takes the moderator's reason too, (id, moderator, reason), and tells it
    # on (an event's cancellation, to those who meant to come).
    delete_takes_reason: bool = False


_kinds: dict[str, FlaggableKind] = {}


def register_flaggable(kind: str, flaggable: FlaggableKind) -> None:
    _kinds[kind] = flaggable


def flaggable(kind: str) -> FlaggableKind:
    found = _kinds.get(kind)
    if found is None:
        raise NotFound()
    return found


def kinds() -> dict[str, FlaggableKind]:
    return dict(_kinds)


# --- flagging -------------------------------------------------------------------------------


def check_reason(reason: str | None, note: str | None) -> tuple[str, str]:
    note = (note or "").strip()
    if reason not in REASONS:
        raise Invalid("Choose why you are flagging this.", field="reason")
    if reason == "other" and not note:
        raise Invalid("Say what is wrong, so the moderators know what to look at.", field="note")
    if len(note) > NOTE_MAX:
        raise Invalid(f"Keep the note under {NOTE_MAX} characters.", field="note")
    return reason, note


def load_for_flagging(user: User | None, kind: str, target_id) -> Flagged:
    """The item a member is about to flag: they must be a confirmed member who can see it."""
    flaggable_kind = flaggable(kind)
    target_id = as_id(target_id)
    if user is None or not user.is_authenticated:
        raise Forbidden("Sign in to flag.")
    if target_id is None or not flaggable_kind.can_see(user, target_id):
        raise NotFound()
    item = flaggable_kind.load(target_id)
    if item is None or item.deleted:
        raise NotFound()
    if not user.is_verified:
        raise Forbidden("Confirm your email address first: then you can flag.")
    if user.is_suspended:
        raise Forbidden("Your account is suspended.")
    if item.author_id == user.id:
        raise Forbidden("This is yours: edit or delete it instead of flagging it.")
    return item


def flag(user: User, kind: str, target_id, *, reason: str | None, note: str = "") -> Flag:
    """Flag an item, once per member. Hides it when enough members have flagged it."""
    item = load_for_flagging(user, kind, target_id)
    reason, note = check_reason(reason, note)
    if _flag_of(user.id, kind, item.id) is not None:
        raise Conflict("You have flagged this already: the moderators will look at it.")
    row = Flag(
        target_kind=kind, target_id=item.id, community_id=item.community_id,
        flagger_id=user.id, reason=reason, note=note,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same member's second request, racing the first
        raise Conflict("You have flagged this already: the moderators will look at it.") from None
    if not item.hidden and _open_flaggers(kind, item.id) >= _threshold(item.community_id):
        flaggable(kind).hide(item.id, None, "flags")
        audit.record(None, "flag.hide", (kind, item.id), community=item.community_id,
                     flags=_open_flaggers(kind, item.id), automatic=True)  # fmt: skip
        _tell_author(item, None, "flags")
    _publish_waiting(item.community_id)
    return row


def _flag_of(user_id: int, kind: str, target_id: int) -> Flag | None:
    return db.session.scalar(
        select(Flag).where(
            Flag.flagger_id == user_id, Flag.target_kind == kind, Flag.target_id == target_id
        )
    )


def has_flagged(user: User | None, kind: str, target_id: int) -> bool:
    return user is not None and user.is_authenticated and bool(_flag_of(user.id, kind, target_id))


def flag_states(user: User | None, kind: str, items: list[tuple[int, int | None]]):
    """Of `items` ((id, author id) pairs the user can see), those the user may flag and
    those they flagged already: two sets, in one query."""
    if user is None or not user.is_authenticated or not user.is_verified or user.is_suspended:
        return set(), set()
    ids = [item_id for item_id, _ in items]
    mine = set(
        db.session.scalars(
            select(Flag.target_id).where(
                Flag.flagger_id == user.id, Flag.target_kind == kind, Flag.target_id.in_(ids)
            )
        )
    )
    may = {i for i, author_id in items if author_id != user.id and i not in mine}
    return may, mine


def _open_flaggers(kind: str, target_id: int) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Flag.flagger_id))).where(
            Flag.target_kind == kind, Flag.target_id == target_id, Flag.decided_at.is_(None)
        )
    )


def _threshold(community_id: int | None) -> int:
    from ..communities.models import Community

    if community_id is None:
        return 3
    return db.session.scalar(select(Community.flag_threshold).where(Community.id == community_id))


# --- deciding -------------------------------------------------------------------------------


def decide(moderator: User, kind: str, target_id, decision: str, *, reason: str = "") -> Flagged:
    """A moderator's decision on a flagged item: keep it (dismiss the flags, restore it if
    flags hid it), hide it, or delete it. Closes every open flag on it and tells those who
    flagged it. Two moderators at once: the second finds the flags closed and is told who
    decided."""
    if decision not in DECISIONS:
        raise Invalid("Choose a decision.", field="decision")
    flaggable_kind = flaggable(kind)
    target_id = as_id(target_id)
    item = flaggable_kind.load(target_id) if target_id is not None else None
    if item is None or not _may_read_community(moderator, item.community_id):
        raise NotFound()  # a members-only community's items do not exist for outsiders
    check_moderates(moderator, item.community_id)
    refusal = refusal_to_decide(moderator, item)
    if refusal:
        raise Forbidden(refusal)
    open_flags = _lock_open_flags(kind, item.id)
    if not open_flags and decision == KEEP and not item.hidden:
        raise Conflict(_already_decided(kind, item.id))
    if item.deleted:
        raise Conflict("This was deleted already.")
    if decision == KEEP and item.hidden:
        flaggable_kind.restore(item.id, moderator)
    elif decision == HIDE and not item.hidden:
        flaggable_kind.hide(item.id, moderator, "moderator")
        _tell_author(item, moderator, "moderator", reason)
    elif decision == DELETE and flaggable_kind.delete_takes_reason:
        flaggable_kind.delete(item.id, moderator, reason.strip())
    elif decision == DELETE:
        flaggable_kind.delete(item.id, moderator)
    now = utcnow()
    if open_flags:
        db.session.execute(
            update(Flag)
            .where(Flag.id.in_([f.id for f in open_flags]), Flag.decided_at.is_(None))
            .values(decided_at=now, decision=decision, decided_by_id=moderator.id)
            .execution_options(synchronize_session=False)
        )
    audit.record(moderator, f"flag.{decision}", (kind, item.id), community=item.community_id,
                 flags=len(open_flags), reason=reason.strip()[:500])  # fmt: skip
    _tell_flaggers(item, open_flags, moderator, decision)
    _publish_waiting(item.community_id)
    return item


def refusal_to_decide(moderator: User, item: Flagged) -> str | None:
    """Why a moderator of the item's community may not decide on it, if its kind says so."""
    refusal = flaggable(item.kind).refusal
    return refusal(moderator, item) if refusal is not None else None


def _lock_open_flags(kind: str, target_id: int) -> list[Flag]:
    stmt = select(Flag).where(
        Flag.target_kind == kind, Flag.target_id == target_id, Flag.decided_at.is_(None)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Flag)
    return list(db.session.scalars(stmt))


def _already_decided(kind: str, target_id: int) -> str:
    last = db.session.scalar(
        select(Flag)
        .where(Flag.target_kind == kind, Flag.target_id == target_id, Flag.decided_at.isnot(None))
        .order_by(Flag.decided_at.desc())
        .limit(1)
    )
    if last is None:
        return "Nothing waits for a decision here."
    who = last.decided_by.display_name if last.decided_by else "A moderator"
    return f"Already decided: {who} {DECISIONS.get(last.decision, 'decided')}."


def _may_read_community(user: User | None, community_id: int | None) -> bool:
    from ..communities.access import can_read
    from ..communities.models import Community

    community = db.session.get(Community, community_id) if community_id is not None else None
    return community is None or can_read(user, community)


def check_moderates(user: User | None, community_id: int | None) -> None:
    if not moderates_community(user, community_id):
        raise Forbidden("Only this community's moderators can decide on this.")


def moderates_community(user: User | None, community_id: int | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return community_id is not None and community_id in moderated_ids(user)


def moderated_ids(user: User) -> set[int]:
    from ..communities.models import Membership

    return set(
        db.session.scalars(
            select(Membership.community_id).where(
                Membership.user_id == user.id, Membership.role == "moderator"
            )
        )
    )


def close_flags_of_deleted(_app, *, kind: str, id: int, by: User | None, **_) -> None:  # noqa: A002
    """target_deleted: what is gone for good waits for no moderator. Its open flags (and
    those of its parts: a thread's posts) close as deleted by whoever deleted it, and the
    header counts drop."""
    closed_in: set[int | None] = set()
    for name, flaggable_kind in _kinds.items():
        if name == kind:
            ids = [id]
        elif kind in flaggable_kind.parts_of:
            ids = flaggable_kind.parts_of[kind](id)
        else:
            continue
        open_flags = (Flag.target_kind == name, Flag.target_id.in_(ids), Flag.decided_at.is_(None))
        closed_in |= set(db.session.scalars(select(Flag.community_id).where(*open_flags)))
        db.session.execute(
            update(Flag)
            .where(*open_flags)
            .values(decided_at=utcnow(), decision=DELETE, decided_by_id=by.id if by else None)
            .execution_options(synchronize_session=False)
        )
    if closed_in:
        from .queue import publish_waiting

        publish_waiting(closed_in)


# --- telling --------------------------------------------------------------------------------


def _tell_author(item: Flagged, moderator: User | None, why: str, reason: str = "") -> None:
    """The author hears that their item was hidden, and why: the flags' reasons, or the
    moderator's own."""
    from ..notifications import actions as notify

    if item.author_id is None:
        return
    kind = "flag.hidden" if why == "flags" else "moderator.hidden"
    notify.notify(
        item.author_id, kind, actor=moderator, community_id=item.community_id,
        target=(flaggable(item.kind).notice_target, item.id), subject=item.own_title,
        excerpt=reason.strip() or _reasons_line(item),
        occurrence=utcnow().isoformat(),
    )  # fmt: skip
    notify.publish_counts({item.author_id})


def _reasons_line(item: Flagged) -> str:
    reasons = db.session.scalars(
        select(Flag.reason)
        .where(Flag.target_kind == item.kind, Flag.target_id == item.id)
        .distinct()
    )
    reasons = sorted(set(reasons))
    return "Flagged as: " + ", ".join(REASONS[r].lower() for r in reasons) if reasons else ""


def _tell_flaggers(item: Flagged, flags: list[Flag], moderator: User, decision: str) -> None:
    from ..notifications import actions as notify

    flaggers = {f.flagger_id for f in flags} - {moderator.id}
    flaggable_kind = flaggable(item.kind)
    notice = flaggable_kind.decided_notices.get(decision, f"flag.decided.{decision}")
    for user_id in sorted(flaggers):
        notify.notify(
            user_id, notice, actor=moderator,
            community_id=item.community_id, target=(flaggable_kind.notice_target, item.id),
            subject=item.title, occurrence=utcnow().isoformat(),
        )  # fmt: skip
    notify.publish_counts(flaggers)


def _publish_waiting(community_id: int | None) -> None:
    """The header's live count of what waits, for the moderators of the community (and the
    admins), once the transaction commits."""
    from .queue import publish_waiting

    publish_waiting([community_id] if community_id is not None else [])


from . import audited  # noqa: E402, F401  (how decisions read; it imports web, which imports domains)
