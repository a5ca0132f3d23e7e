"""What one domain tells the others: named in-process signals (blinker).

A domain's action sends a signal when something happened that other domains may care
about (a post published, a member gone from a community); the domains that care subscribe.
The sender names no receiver, so events, digests and moderation hook in without editing
threads or communities, and no domain's actions import another domain's actions to tell it.

Each signal is sent inside the action's transaction, and its receivers run synchronously in
it, in the order they were connected. A receiver's failure fails the action: its writes, the
action's and every other receiver's roll back together (one transaction), and what they
published for after the commit (`realtime.publish`, queued mail) is dropped with them. A
receiver that must not fail the action catches its own errors.

Receivers are connected per app: `connect(app, (signal, receiver), …)`, called from
`create_app` (each domain's `connect(app)`), with the app as blinker's sender; `emit` sends
from the current app. Blinker keeps its connections in the module-level signal, not in the
app, so a kept test app whose `app.extensions` registries are copied back after each test
keeps its receivers exactly once (connecting the same pair again changes nothing), another
app's receivers never run for it, and an app that is garbage-collected takes its connections
with it. (Not a registry in `app.extensions`: the suite copies those back shallowly after
each test, so a receiver one test appended to a signal's list there would stay for the
next.) A test connects a receiver of its own for one block with blinker's public API:
`with signals.post_published.connected_to(spy, sender=app): …`.

A receiver is called as `receiver(app, **payload)`; it takes the keywords it needs and `**_`.
"""

from collections.abc import Iterable, MutableSet

from blinker import NamedSignal
from flask import Flask, current_app


class _OrderedSet(MutableSet):
    """Blinker's receiver bookkeeping, kept in connection order (a set's order is arbitrary:
    receivers must run in the same order in every process)."""

    def __init__(self, items: Iterable = ()):
        self._items = dict.fromkeys(items)

    def __contains__(self, item) -> bool:
        return item in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item) -> None:
        self._items[item] = None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> "_OrderedSet":
        return _OrderedSet(self._items)


class DomainSignal(NamedSignal):
    """A named signal with a fixed set of keyword arguments (its payload)."""

    set_class = _OrderedSet

    def __init__(self, name: str, doc: str, **payload: str):
        super().__init__(name, doc)
        self.payload = payload  # keyword -> what it is (for the reader; checked by name)

    def emit(self, **payload) -> None:
        """Run this app's receivers now, inside the caller's transaction."""
        if set(payload) != set(self.payload):
            raise TypeError(f"{self.name} takes {sorted(self.payload)}, not {sorted(payload)}")
        self.send(current_app._get_current_object(), **payload)


def connect(app: Flask, *pairs: tuple[DomainSignal, object]) -> None:
    """Connect each (signal, receiver) for `app`. Connecting a pair twice changes nothing."""
    for signal, receiver in pairs:
        signal.connect(receiver, sender=app, weak=False)


_all: dict[str, DomainSignal] = {}


def _signal(name: str, doc: str, **payload: str) -> DomainSignal:
    _all[name] = DomainSignal(name, doc, **payload)
    return _all[name]


def all_signals() -> dict[str, DomainSignal]:
    return dict(_all)


# --- threads ---------------------------------------------------------------------------------

post_published = _signal(
    "post-published",
    "A post is in its thread (a new thread's first post too): index it, tell its readers.",
    post="threads.models.Post",
    mentioned="list[User]: who its text mentions (the author may be among them)",
)
post_changed = _signal(
    "post-changed",
    "A post's text was edited: re-index it; tell those the edit mentions for the first time.",
    post="threads.models.Post",
    mentioned="list[User]: mentioned by the new text and not by the old",
)
post_hidden = _signal(
    "post-hidden",
    "A post left its readers' view (reason 'deleted', 'flags' or 'moderator'): unindex it.",
    post="threads.models.Post",
    reason="str",
)
post_restored = _signal(
    "post-restored",
    "A hidden post is back in its readers' view (a moderator's decision): index it again.",
    post="threads.models.Post",
)
thread_moved = _signal(
    "thread-moved",
    "A thread moved to another community: its documents and notifications follow it.",
    thread="threads.models.Thread",
    from_community_id="int",
)

thread_merged = _signal(
    "thread-merged",
    "A thread's posts moved into another (a moderator merged a duplicate): index them there.",
    thread="threads.models.Thread: the thread they moved into",
    source_id="int: the merged thread, now deleted",
    post_ids="list[int]: the posts that moved",
)

# --- any target ------------------------------------------------------------------------------

target_deleted = _signal(
    "target-deleted",
    "A target (a thread, a post, a chat message, an event…) is gone from view for good.",
    kind="str",
    id="int",
    by="User | None: who deleted it (None: the site itself)",
)

# --- chat ------------------------------------------------------------------------------------

chat_message_posted = _signal(
    "chat-message-posted",
    "A chat message was sent: tell those it mentions (moderation's filters hook in here).",
    message="chat.models.ChatMessage",
    room="chat.models.ChatRoom (with its protocol name)",
    mentioned="list[User]: who its text mentions, the author left out",
)
chat_message_edited = _signal(
    "chat-message-edited",
    "A chat message's text changed: tell those it mentions (each member at most once).",
    message="chat.models.ChatMessage",
    room="chat.models.ChatRoom (with its protocol name)",
    mentioned="list[User]: who its new text mentions, the author left out",
)

# --- resources -------------------------------------------------------------------------------

resource_changed = _signal(
    "resource-changed",
    "A resource's description, status or visibility (hidden, restored) changed: its search "
    "entry follows.",
    resource="resources.models.Resource",
)
resource_submitted = _signal(
    "resource-submitted",
    "A resource awaits review (new or sent back): tell its curators.",
    resource="resources.models.Resource",
    actor="User: who submitted it",
)
resource_decided = _signal(
    "resource-decided",
    "A curator decided on a resource ('approved', 'rejected', 'changes_requested').",
    resource="resources.models.Resource",
    actor="User: the curator",
    decision="str",
    reason="str",
)
proposal_sent = _signal(
    "proposal-sent",
    "A new version of a published resource awaits review (new or sent back): tell curators.",
    proposal="resources.models.ResourceProposal",
    actor="User: who proposed it",
)
proposal_decided = _signal(
    "proposal-decided",
    "A curator decided on a proposed version ('approved', 'rejected', 'changes_requested').",
    proposal="resources.models.ResourceProposal",
    actor="User: the curator",
    decision="str",
    reason="str",
)

# --- events ----------------------------------------------------------------------------------

event_created = _signal(
    "event-created",
    "An event was created (flushed, with its id): its chat room and search entry come with it.",
    event="events.models.Event",
)
event_changed = _signal(
    "event-changed",
    "An event changed: its search entry follows; for a change of time or place, or a "
    "cancellation, everyone who answered its RSVP is told once (per change: `sequence`).",
    event="events.models.Event (its sequence already raised when calendars must update)",
    changes="frozenset[str]: of 'time', 'place', 'details', 'capacity', 'cancelled'",
    actor="User: who changed it",
)
event_hidden = _signal(
    "event-hidden",
    "An event left everyone's view (members' flags, or a moderator: reason 'flags', "
    "'moderator' or 'removed'): its search entry goes, its live room's pages recheck.",
    event="events.models.Event",
    reason="str",
)
event_restored = _signal(
    "event-restored",
    "A hidden event is back in view (a moderator's decision): index it, recheck its room.",
    event="events.models.Event",
)
event_room_changed = _signal(
    "event-room-changed",
    "An event's room opened ('open') or closed ('closed'), moved on by the rooms job.",
    event="events.models.Event",
    state="str",
)

# --- communities and members -----------------------------------------------------------------

community_created = _signal(
    "community-created",
    "A community was created (flushed, with its id): its chat room is made with it.",
    community="communities.models.Community",
)
membership_lost = _signal(
    "membership-lost",
    "A member left (or was removed from) a community: recheck what they may read live.",
    user="User",
    community="communities.models.Community",
)
community_access_changed = _signal(
    "community-access-changed",
    "Who may read a community changed (visibility, archiving): recheck every live reader.",
    community="communities.models.Community",
)
member_suspended = _signal(
    "member-suspended",
    "A member was suspended site-wide (their sessions are already ended).",
    user="User: suspended_until says when it lapses (None: until lifted)",
)
organisation_merged = _signal(
    "organisation-merged",
    "An organisation was merged into another (its members and contributions moved, the "
    "row deleted): figures kept per organisation must be recounted.",
    survivor="accounts.models.Organisation",
    merged_id="int: the id the merged organisation had",
)
registration_awaits_approval = _signal(
    "registration-awaits-approval",
    "Someone registered while registration needs an admin's approval (flushed, with its id).",
    user="User",
)
