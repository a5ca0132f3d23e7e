"""A community's state, changed by admins through the actions: visibility and archiving.

Each change is audited, and rechecks the live pages it concerns: made members-only or
archived, a community's open thread pages and its chat room are emptied and asked to join
again, so access is checked anew."""

import pytest
from sqlalchemy import select

from community.chat import actions as chat_actions
from community.communities import access, actions
from community.communities.models import Community
from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.moderation.models import AuditLog
from community.resources import actions as resource_actions
from tests.communities.helpers import text_of
from tests.factories import join, make_moderator, make_user
from tests.resources.helpers import details, pdf_upload
from tests.threads.helpers import live, reply, start


def run(action, user, *args, **kwargs):
    with atomic():
        return action(live(user), *args, **kwargs)


def community(slug: str) -> Community:
    db.session.rollback()
    return db.session.scalar(select(Community).where(Community.slug == slug))


def audit_rows() -> list[tuple]:
    db.session.rollback()
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id))
    return [(r.action, r.target_kind, r.target_id, r.community_id, r.detail) for r in rows]


def rechecks(published) -> list[tuple[str, str]]:
    return [(e, room) for e, room, _ in published if e in ("thread.recheck", "chat.recheck")]


# --- visibility -----------------------------------------------------------------------------


def test_an_admin_makes_a_community_members_only_and_its_live_pages_are_rechecked(
    communities, published
):
    admin, ada, outsider = make_user(admin=True), make_user(), make_user()
    join(ada, "procurement")
    thread_id = start(ada, title="Tenders")
    published.clear()

    run(actions.change_visibility, admin, "procurement", "members")

    assert community("procurement").visibility == "members"
    with pytest.raises(NotFound):
        access.access_community(live(outsider), "procurement")
    assert access.access_community(live(ada), "procurement").slug == "procurement"
    assert ("thread.recheck", f"thread:{thread_id}") in rechecks(published)
    assert any(e == "chat.recheck" for e, _ in rechecks(published)), published
    procurement = community("procurement").id
    assert audit_rows()[-1] == (
        "community.visibility", "community", procurement, procurement, {"visibility": "members"}
    )  # fmt: skip


def test_making_a_community_public_again_needs_no_recheck(communities, published):
    admin = make_user(admin=True)
    run(actions.change_visibility, admin, "health", "members")
    published.clear()
    run(actions.change_visibility, admin, "health", "public")
    assert community("health").is_public
    assert rechecks(published) == []
    assert access.access_community(None, "health").slug == "health"


def test_only_admins_change_visibility_and_only_to_a_known_one(communities):
    moderator, admin = make_moderator("finance"), make_user(admin=True)
    with pytest.raises(Forbidden):
        run(actions.change_visibility, moderator, "finance", "members")
    with pytest.raises(Invalid):
        run(actions.change_visibility, admin, "finance", "secret")
    assert community("finance").is_public
    assert [a for a, *_ in audit_rows() if a == "community.visibility"] == []


def test_the_same_visibility_again_changes_and_records_nothing(communities, published):
    admin = make_user(admin=True)
    run(actions.change_visibility, admin, "finance", "public")
    assert [a for a, *_ in audit_rows() if a == "community.visibility"] == []
    assert rechecks(published) == []


# --- archiving ------------------------------------------------------------------------------


def test_an_archived_community_is_read_only_for_everyone(communities, published):
    admin, ada, newcomer = make_user(admin=True), make_user(), make_user()
    join(ada, "procurement")
    join(admin, "procurement")
    thread_id = start(ada, title="Before the archive")
    published.clear()

    run(actions.archive_community, admin, "procurement")

    read_only = "Procurement is archived: it is read-only."
    assert community("procurement").archived_at is not None
    assert ("thread.recheck", f"thread:{thread_id}") in rechecks(published)
    assert any(e == "chat.recheck" for e, _ in rechecks(published))
    # Still there for readers: the community, its threads, its chat history.
    assert access.access_community(None, "procurement").slug == "procurement"
    run(chat_actions.recent, ada, "procurement")
    # Nothing new, from anyone: threads, replies, chat, resources, members.
    for user in (ada, admin):
        with pytest.raises(Forbidden, match=read_only):
            start(user, title="After the archive")
        with pytest.raises(Forbidden, match=read_only):
            reply(user, thread_id, "Still here?")
        with pytest.raises(Forbidden, match=read_only):
            run(chat_actions.send_message, user, "procurement", body="Hello", client_id="x")
        with pytest.raises(Invalid):
            run(resource_actions.submit_resource, user, details(), upload=pdf_upload())
    with pytest.raises(Forbidden, match=read_only):
        join(newcomer, "procurement")
    with pytest.raises(Forbidden, match=read_only):
        run(actions.add_member, admin, "procurement", email=newcomer.email)


def test_reopening_an_archived_community_lets_members_take_part_again(communities, published):
    admin, ada = make_user(admin=True), make_user()
    join(ada, "procurement")
    run(actions.archive_community, admin, "procurement")
    published.clear()

    run(actions.archive_community, admin, "procurement", archived=False)

    assert community("procurement").archived_at is None
    assert any(e == "chat.recheck" for e, _ in rechecks(published))  # composers open again
    assert start(ada, title="Back again")
    procurement = community("procurement").id
    assert [row[:4] for row in audit_rows() if row[0].startswith("community.")][-2:] == [
        ("community.archive", "community", procurement, procurement),
        ("community.unarchive", "community", procurement, procurement),
    ]


def test_only_admins_archive_and_archiving_twice_records_once(communities):
    moderator, admin = make_moderator("finance"), make_user(admin=True)
    with pytest.raises(Forbidden):
        run(actions.archive_community, moderator, "finance")
    run(actions.archive_community, admin, "finance")
    run(actions.archive_community, admin, "finance")
    assert [a for a, *_ in audit_rows() if a == "community.archive"] == ["community.archive"]


# --- the pages ------------------------------------------------------------------------------


def test_the_manage_page_gives_admins_the_controls_and_moderators_none(browser, communities):
    moderator = make_moderator("finance")
    browser.login(moderator.email)
    html = browser.get("/c/finance/manage").get_data(as_text=True)
    assert "/c/finance/manage/visibility" not in html
    assert "/c/finance/manage/archive" not in html
    response = browser.submit(
        "/c/finance", {"visibility": "members"}, "/c/finance/manage/visibility"
    )
    assert response.status_code == 403
    response = browser.submit("/c/finance", {"archived": "1"}, "/c/finance/manage/archive")
    assert response.status_code == 403
    assert community("finance").is_public
    assert community("finance").archived_at is None


def test_an_admin_changes_visibility_and_archives_from_the_manage_page(browser, communities):
    admin = make_user("Ada Admin", admin=True)
    browser.login(admin.email)
    response = browser.submit(
        "/c/finance/manage", {"visibility": "members"}, "/c/finance/manage/visibility"
    )
    assert response.status_code == 302
    assert community("finance").visibility == "members"
    response = browser.submit("/c/finance/manage", {"archived": "1"}, "/c/finance/manage/archive")
    assert response.status_code == 302
    assert community("finance").archived_at is not None

    page = text_of(browser.get("/c/finance/manage").get_data(as_text=True))
    assert "Make it public" in page
    assert "Reopen this community" in page
    page = text_of(browser.get("/admin").get_data(as_text=True))
    assert "Ada Admin made Finance members-only" in page
    assert "Ada Admin archived Finance (read-only)" in page
    assert "Members only, archived (read-only)" in page


def test_the_forms_need_their_csrf_token(browser, communities):
    browser.login(make_user(admin=True).email)
    response = browser.client.post("/c/finance/manage/archive", data={"archived": "1"})
    assert response.status_code == 400
    assert community("finance").archived_at is None


def test_an_archived_community_page_says_so_and_offers_no_composer_or_join(browser, communities):
    admin, ada, newcomer = make_user(admin=True), make_user(), make_user()
    join(ada, "procurement")
    thread_id = start(ada, title="Kept for the record")
    run(actions.archive_community, admin, "procurement")

    browser.login(ada.email)
    html = browser.get("/c/procurement").get_data(as_text=True)
    assert "archived (read-only)" in text_of(html)
    assert "/c/procurement/new" not in html  # no "Start a thread"
    thread_page = browser.get(f"/t/{thread_id}").get_data(as_text=True)
    assert "Procurement is archived (read-only): it takes no more replies." in text_of(thread_page)
    assert f'action="/t/{thread_id}/reply"' not in thread_page
    chat_page = text_of(browser.get("/chat/procurement").get_data(as_text=True))
    assert "Procurement is archived: it is read-only." in chat_page
    browser.logout()

    browser.login(newcomer.email)
    html = browser.get("/c/procurement").get_data(as_text=True)
    assert "/c/procurement/join" not in html
    home = text_of(browser.get("/").get_data(as_text=True))
    assert "archived (read-only)" in home
