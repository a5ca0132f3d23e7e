"""The audit trail: each audited action records a stable target kind and its community,
and reads for people on /admin ("… asked for changes to the resource “…” in Procurement")."""

import re
from pathlib import Path

from sqlalchemy import select

from community.accounts import actions as account_actions
from community.chat import actions as chat_actions
from community.communities import access as community_access
from community.communities import actions as community_actions
from community.db import atomic
from community.extensions import db
from community.moderation import wording
from community.moderation.audit import record
from community.moderation.models import AuditLog
from community.moderation.queries import recent_audit
from community.resources import actions as resource_actions
from community.threads import actions as thread_actions
from community.threads.models import Tag
from tests.factories import join, make_moderator, make_user
from tests.resources.helpers import submit
from tests.threads.helpers import live, reply, start

SOURCE = Path(community_actions.__file__).parents[1]


def run(action, user, *args, **kwargs):
    with atomic():
        return action(live(user) if user is not None else None, *args, **kwargs)


def sentences() -> list[str]:
    db.session.rollback()
    return [entry.text for entry in recent_audit()]


def rows() -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.id)))


def community_id(slug: str) -> int:
    return community_access.access_community(None, slug).id


def test_a_curators_decision_reads_with_its_resource_and_community(communities):
    ada = make_moderator("procurement", make_user("Ada Lovelace"))
    member = make_user("Rhys Member", communities=("procurement",))
    resource_id = submit(member, title="Social value toolkit")

    run(resource_actions.request_changes, ada, resource_id, reason="Add the licence.")

    assert sentences()[0] == (
        "Ada Lovelace asked for changes to the resource “Social value toolkit” in Procurement"
    )
    row = rows()[-1]
    assert (row.target_kind, row.target_id, row.community_id) == (
        "resource", resource_id, community_id("procurement"),
    )  # fmt: skip


def test_thread_post_and_tag_moderation_reads_for_people(communities):
    mod = make_moderator("procurement", make_user("Mona Moderator"))
    make_moderator("finance", mod)
    ada = make_user("Ada Lovelace", communities=("procurement",))
    thread_id = start(ada, title="Budgets", tags="money")
    reply_id = reply(ada, thread_id, "Spam spam.")
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == "money"))

    run(thread_actions.set_pinned, mod, thread_id, pinned=True)
    run(thread_actions.delete_post, mod, reply_id)
    run(thread_actions.rename_tag, mod, "procurement", tag_id, name="budgets")
    run(thread_actions.move_thread, mod, thread_id, to_slug="finance")

    assert sentences()[:4] == [
        "Mona Moderator moved the thread “Budgets” from Procurement to Finance",
        "Mona Moderator renamed the tag “money” to “budgets” in Procurement",
        "Mona Moderator deleted a reply to “Budgets” in Procurement",
        "Mona Moderator pinned the thread “Budgets” in Procurement",
    ]
    kinds = [(r.action, r.target_kind, r.community_id) for r in rows()[-4:]]
    procurement = community_id("procurement")
    assert kinds == [
        ("thread.pin", "thread", procurement),
        ("post.delete", "post", procurement),
        ("tag.rename", "tag", procurement),
        ("thread.move", "thread", community_id("finance")),  # where it is now
    ]


def test_chat_moderation_names_the_member_and_the_room(communities):
    mod = make_moderator("procurement", make_user("Mona Moderator"))
    bob = make_user("Bob Builder", communities=("procurement",))

    run(chat_actions.mute, mod, "procurement", user_id=bob.id, minutes=120)
    run(chat_actions.unmute, mod, "procurement", user_id=bob.id)

    assert sentences()[:2] == [
        "Mona Moderator unmuted Bob Builder in the Procurement chat",
        "Mona Moderator muted Bob Builder for 2 hours in the Procurement chat",
    ]
    assert {(r.target_kind, r.community_id) for r in rows()[-2:]} == {
        ("chat_room", community_id("procurement"))
    }


def test_a_suspension_is_site_wide_and_reads_with_its_reason(communities):
    admin = make_user("Site Admin", admin=True)
    sam = make_user("Sam Member")

    with atomic():
        account_actions.suspend_member(live(admin), live(sam), "Repeated spam.")
    with atomic():
        account_actions.unsuspend_member(None, live(sam))

    assert sentences()[:2] == [
        "the command line lifted the suspension of Sam Member",
        "Site Admin suspended Sam Member: “Repeated spam.”",
    ]
    assert [(r.target_kind, r.target_id, r.community_id) for r in rows()[-2:]] == [
        ("member", sam.id, None),
        ("member", sam.id, None),
    ]


def test_a_target_since_removed_and_an_unworded_action_still_read(communities):
    admin = make_user("Site Admin", admin=True)
    with atomic():
        record(live(admin), "thread.delete", ("thread", 999999), community=None)
        record(live(admin), "probe.poke", ("member", admin.id))
    assert sentences()[:2] == [
        "Site Admin did “probe.poke” to Site Admin",
        "Site Admin deleted a thread since removed",
    ]


def _audited_actions_in_the_source() -> set[str]:
    """Every action name written next to a call of record() or of a domain's _audit()."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        # The action argument: a literal, `"a" if x else "b"`, or a variable set just before.
        arguments = re.findall(r"\b(?:record|_audit)\(\s*\w+,\s*([^,]+),", text)
        arguments += re.findall(r"\b(?:audit|action) = (\"[^\n]+)", text)
        for argument in arguments:
            found |= set(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", argument))
    return found


def test_every_audited_action_is_worded():
    actions = _audited_actions_in_the_source()
    assert {"resource.request_changes", "member.suspend", "community.archive"} <= actions
    assert sorted(actions - set(wording.actions())) == []


def test_admin_page_shows_whole_sentences(browser, communities):
    admin = make_user("Ada Admin", admin=True)
    member = make_user("Rhys Member")
    join(member, "finance")
    with atomic():
        community_actions.change_visibility(live(admin), "health", "members")
    browser.login(admin.email)
    text = " ".join(browser.get("/admin").get_data(as_text=True).split())
    assert "Ada Admin made Health members-only" in text
