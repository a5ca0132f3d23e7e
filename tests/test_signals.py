"""Domains tell each other through signals (community/signals.py): the import rule between
domains' actions, receivers connected once per app and run in the action's transaction."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community import signals
from community.accounts import actions as account_actions
from community.chat import access as chat_access
from community.communities import actions as community_actions
from community.db import atomic
from community.extensions import db
from community.notifications.models import Notification
from community.realtime import CLOSE_ROOM
from community.search.models import SearchDocument
from community.threads import actions as thread_actions
from community.threads import receivers as thread_receivers
from community.threads.models import Post, PostLink, Thread
from tests.factories import make_user
from tests.threads.helpers import fresh, live, make_private, reply, start

PACKAGE = Path(__file__).resolve().parent.parent / "community"

# The imports of another domain's actions that remain, and why. Everything else a domain's
# actions need from another domain is a read (models, queries, access rules) or a signal.
AUDIT_LOG = {"admin", "moderation"}  # record(): the audit log every domain writes to
ALLOWED = {
    # Account lookups with no side effects (find_user_by_email, slugify).
    ("communities", "accounts"),
    ("threads", "accounts"),
    # A resource's discussion *is* a thread: starting it or replying is a command whose
    # result (the post) the resource needs, not news for whoever cares. Threads never
    # import resources.
    ("resources", "threads"),
}


def _domains() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/actions.py"))


def _imported_actions(domain: str, package: Path = PACKAGE) -> set[str]:
    """The domains whose actions module `domain`'s actions.py imports (anywhere in it)."""
    tree = ast.parse((package / domain / "actions.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if node.level == 0:  # community.<domain>.actions, or from community.<domain> import
                if parts[0] != "community":
                    continue
                parts = parts[1:]
            elif node.level == 1:
                parts = [domain, *parts] if parts != [""] else [domain]
            if parts and parts[-1] == "actions":
                found.add(parts[-2] if len(parts) > 1 else domain)
            elif len(parts) == 1 and any(a.name == "actions" for a in node.names):
                found.add(parts[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "community" and parts[-1] == "actions" and len(parts) == 3:
                    found.add(parts[1])
    found.discard(domain)
    return found


def test_the_import_finder_sees_every_spelling(tmp_path):
    domain = tmp_path / "alpha"
    domain.mkdir()
    (domain / "actions.py").write_text(
        "from ..beta.actions import x\n"
        "from ..gamma import actions as g\n"
        "def f():\n    from community.delta.actions import y\n"
        "import community.epsilon.actions\n"
        "from ..zeta.models import Z\n"
        "from . import rules\n"
    )
    assert _imported_actions("alpha", tmp_path) == {"beta", "gamma", "delta", "epsilon"}


def test_no_domains_actions_import_another_domains_actions():
    domains = _domains()
    assert {"threads", "communities", "chat", "resources", "notifications"} <= set(domains)
    found = {(d, other) for d in domains for other in _imported_actions(d)}
    unexpected = {(d, o) for d, o in found if o not in AUDIT_LOG and (d, o) not in ALLOWED}
    assert not unexpected, f"tell them through community/signals.py instead: {unexpected}"
    # The exceptions are still needed (drop one once its import is gone) and go one way.
    assert found >= ALLOWED
    assert not {(d, o) for d, o in found if (o, d) in found}


# --- the signals themselves -----------------------------------------------------------------


def test_a_signal_takes_exactly_its_payload(app):
    with pytest.raises(TypeError, match="post-published"):
        signals.post_published.emit(post=None)
    with pytest.raises(TypeError):
        signals.membership_lost.emit(user=None, community=None, extra=1)


def test_receivers_are_connected_once_per_app_in_a_fixed_order(app):
    before = {name: list(s.receivers_for(app)) for name, s in signals.all_signals().items()}
    assert before["post-published"], "create_app connects the domains' receivers"
    for name, receivers in before.items():
        assert len(receivers) == len(set(receivers)), name
    thread_receivers.connect(app)  # a second time changes nothing
    after = {name: list(s.receivers_for(app)) for name, s in signals.all_signals().items()}
    assert after == before


def test_a_receiver_connected_for_one_block_is_gone_after_it(app):
    def spy(_app, **_):
        pass

    with signals.member_suspended.connected_to(spy, sender=app):
        assert spy in list(signals.member_suspended.receivers_for(app))
    assert spy not in list(signals.member_suspended.receivers_for(app))


# --- through the actions --------------------------------------------------------------------


@pytest.fixture
def alice(communities):
    return make_user("Alice Author", email="alice@example.org", communities=("procurement",))


@pytest.fixture
def bob(communities):
    return make_user("Bob Reader", email="bob@example.org", communities=("procurement",))


def test_a_receiver_hears_post_published_with_the_post_and_the_mentioned(app, alice, bob):
    heard = []

    def spy(sender, *, post, mentioned):
        heard.append((sender, post.id, post.number, post.thread_id, [u.id for u in mentioned]))

    thread_id = start(alice, body="First.")
    with signals.post_published.connected_to(spy, sender=app):
        post_id = reply(alice, thread_id, "Over to you, @**Bob Reader**.")
    assert heard == [(app, post_id, 2, thread_id, [bob.id])]


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_receiver_that_fails_rolls_the_whole_action_back(app, alice, bob, published):
    thread_id = start(alice, body="First.")
    reply(bob, thread_id, "Bob watches it now.")
    fresh()
    before = (_count(Post), _count(SearchDocument), _count(Notification), _count(PostLink))
    sent = len(published)
    seen_in_transaction = []

    def failing(_app, *, post, **_):
        # Connected last: the index, the notices and the links are written when it fails.
        seen_in_transaction.append(
            (
                _count(SearchDocument, SearchDocument.object_id == post.id),
                _count(Notification, Notification.user_id == bob.id),
                _count(PostLink, PostLink.post_id == post.id),
            )
        )
        raise RuntimeError("a receiver broke")

    reply_body = "@**Bob Reader** see /resources/1"
    rolls_back = pytest.raises(RuntimeError)
    with signals.post_published.connected_to(failing, sender=app), rolls_back, atomic():
        thread_actions.post_reply(live(alice), thread_id, body=reply_body)
    assert seen_in_transaction == [(1, 1, 1)]
    fresh()
    after = (_count(Post), _count(SearchDocument), _count(Notification), _count(PostLink))
    assert after == before
    assert db.session.get(Thread, thread_id).post_count == 2
    assert len(published) == sent  # no live reply, no notification count

    # Without it the same reply goes through, with everything its receivers do.
    post_id = reply(alice, thread_id, reply_body)
    fresh()
    assert _count(SearchDocument, SearchDocument.object_id == post_id) == 1
    assert _count(Notification, Notification.user_id == bob.id) == 1
    assert db.session.scalar(select(PostLink.target_id).where(PostLink.post_id == post_id)) == 1


def test_leaving_a_members_only_community_tells_threads_and_chat(app, alice, bob, published):
    make_private("procurement")
    thread_id = start(alice)
    heard = []
    with (
        signals.membership_lost.connected_to(
            lambda _app, *, user, community: heard.append((user.id, community.slug)), sender=app
        ),
        atomic(),
    ):
        community_actions.leave_community(live(bob), "procurement")
    assert heard == [(bob.id, "procurement")]
    closed = {room for event, room, _ in published if event == CLOSE_ROOM}
    room = chat_access.room_of("community", db.session.get(Thread, thread_id).community_id)
    assert {f"thread:{thread_id}", f"chat:{room.id}"} <= closed


def test_a_change_of_who_may_read_a_community_rechecks_its_live_readers(app, alice, published):
    thread_id = start(alice)
    community = db.session.get(Thread, thread_id).community
    with atomic():
        signals.community_access_changed.emit(community=community)
    rechecks = [(event, room) for event, room, _ in published if event != CLOSE_ROOM]
    room = chat_access.room_of("community", community.id)
    assert ("thread.recheck", f"thread:{thread_id}") in rechecks
    assert ("chat.recheck", f"chat:{room.id}") in rechecks


def test_suspending_a_member_sends_member_suspended(app, alice):
    heard = []
    admin = make_user(admin=True)
    with (
        signals.member_suspended.connected_to(
            lambda _app, *, user: heard.append(user.id), sender=app
        ),
        atomic(),
    ):
        account_actions.suspend_member(live(admin), live(alice), "Spam.")
    assert heard == [alice.id]
