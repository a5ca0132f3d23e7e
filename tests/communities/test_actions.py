"""Community actions called directly: reading rules, joining, leaving, members, moderators."""

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.communities import access, actions, queries
from community.communities.models import Membership
from community.db import atomic, utcnow
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.moderation.models import AuditLog
from tests.communities.helpers import (
    archive,
    community,
    membership_count,
    run_concurrently,
    set_visibility,
)
from tests.factories import join, make_moderator, make_user


def _role(user: User, slug: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.community_id == community(slug).id
        )
    )


def _audit() -> list[tuple[str, str, int | None, dict]]:
    return [
        (a.action, a.target_kind, a.actor_id, a.detail)
        for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))
    ]


# --- who may read ---------------------------------------------------------------------------


def test_public_community_is_readable_by_everyone(communities):
    user = make_user()
    assert access.access_community(None, "finance").slug == "finance"
    assert access.access_community(user, "finance").slug == "finance"


def test_members_only_community_is_hidden_from_all_but_members_and_admins(communities):
    set_visibility("health", "members")
    outsider, member, admin = make_user(), make_user(), make_user(admin=True)
    with atomic():
        actions.add_member(admin, "health", email=member.email)

    for reader in (None, outsider):
        with pytest.raises(NotFound):
            access.access_community(reader, "health")
        assert not access.can_read(reader, community("health"))
    assert access.access_community(member, "health").slug == "health"
    assert access.access_community(admin, "health").slug == "health"


def test_unknown_communities_do_not_exist_and_archived_ones_stay_readable(communities):
    admin = make_user(admin=True)
    archive("finance", admin)
    with pytest.raises(NotFound):
        access.access_community(admin, "no-such-community")
    assert access.access_community(None, "finance").slug == "finance"
    with pytest.raises(Forbidden, match="Finance is archived: it is read-only."):
        access.access_community(admin, "finance", need="post")


def test_communities_for_lists_the_record_in_order_with_the_readers_role(communities):
    set_visibility("health", "members")
    member = make_user(communities=("finance",))
    moderator = make_moderator("procurement")
    record_order = [
        "business-support",
        "procurement",
        "finance",
        "impact-measurement",
        "workforce-development",
        "health",
        "equal-learning-network",
    ]
    anonymous = [c.slug for c, _ in queries.communities_for(None)]
    assert anonymous == [s for s in record_order if s != "health"]
    roles = {c.slug: role for c, role in queries.communities_for(member)}
    assert list(roles) == anonymous
    assert roles["finance"] == "member"
    assert {c.slug: r for c, r in queries.communities_for(moderator)}["procurement"] == (
        "moderator"
    )
    admin = make_user(admin=True)
    assert [c.slug for c, _ in queries.communities_for(admin)] == record_order


# --- joining and leaving --------------------------------------------------------------------


def test_join_adds_a_membership_and_counts_it(communities):
    user = make_user()
    m = join(user, "finance")
    assert m.role == "member"
    assert community("finance").member_count == 1
    assert membership_count("finance") == 1


def test_joining_twice_is_harmless(communities):
    user = make_user(communities=("finance",))
    again = join(user, "finance")
    assert again.user_id == user.id
    assert community("finance").member_count == 1
    assert membership_count("finance") == 1


def test_leave_removes_the_membership_and_the_count(communities):
    user = make_user(communities=("finance", "health"))
    with atomic():
        actions.leave_community(user, "finance")
    assert community("finance").member_count == 0
    assert membership_count("finance") == 0
    assert community("health").member_count == 1


def test_leaving_when_not_a_member_is_a_clear_error(communities):
    user = make_user()
    with pytest.raises(Invalid, match="You are not a member of Finance"), atomic():
        actions.leave_community(user, "finance")
    assert community("finance").member_count == 0


def test_a_moderator_who_leaves_gives_up_the_role(communities):
    moderator = make_moderator("finance")
    with atomic():
        actions.leave_community(moderator, "finance")
    assert _role(moderator, "finance") is None
    assert community("finance").member_count == 0
    assert queries.moderators_of(community("finance")) == []


def test_unverified_members_cannot_join(communities):
    user = make_user(verified=False)
    with pytest.raises(Forbidden, match="Confirm your email address"), atomic():
        actions.join_community(user, "finance")
    assert community("finance").member_count == 0


def test_suspended_members_cannot_join_and_are_told_why(communities):
    user = make_user()
    with atomic():
        db.session.get(User, user.id).suspended_at = utcnow()
    user = db.session.get(User, user.id)
    with pytest.raises(Forbidden, match="suspended"), atomic():
        actions.join_community(user, "finance")
    assert community("finance").member_count == 0


def test_members_only_communities_cannot_be_joined_by_the_member(communities):
    set_visibility("health", "members")
    outsider, admin = make_user(), make_user(admin=True)
    with pytest.raises(NotFound), atomic():  # it does not exist for them
        actions.join_community(outsider, "health")
    with pytest.raises(Forbidden, match="moderator adds them"), atomic():
        actions.join_community(admin, "health")
    assert community("health").member_count == 0


# --- members and moderators -----------------------------------------------------------------


def test_a_moderator_adds_a_member_and_it_is_audited(communities):
    set_visibility("health", "members")
    moderator = make_moderator("health")
    newcomer = make_user(email="newcomer@example.org")
    with atomic():
        actions.add_member(moderator, "health", email="  NEWCOMER@example.org ")
    assert _role(newcomer, "health") == "member"
    assert community("health").member_count == 2
    assert _audit()[-1] == (
        "community.add_member",
        "community",
        moderator.id,
        {"user_id": newcomer.id},
    )
    assert access.access_community(newcomer, "health").slug == "health"


def test_plain_members_cannot_add_members(communities):
    member = make_user(communities=("finance",))
    other = make_user()
    with pytest.raises(Forbidden), atomic():
        actions.add_member(member, "finance", email=other.email)
    assert _role(other, "finance") is None


def test_adding_an_unknown_or_existing_member_is_a_field_error(communities):
    moderator = make_moderator("finance")
    with pytest.raises(Invalid, match="No account uses that email") as unknown, atomic():
        actions.add_member(moderator, "finance", email="nobody@example.org")
    assert unknown.value.field == "email"
    with pytest.raises(Invalid, match="already a member") as existing, atomic():
        actions.add_member(moderator, "finance", email=moderator.email)
    assert existing.value.field == "email"
    assert community("finance").member_count == 1


def test_suspended_and_unconfirmed_accounts_cannot_be_added(communities):
    moderator = make_moderator("finance")
    unconfirmed = make_user(verified=False)
    suspended = make_user()
    with atomic():
        db.session.get(User, suspended.id).suspended_at = utcnow()
    for user in (unconfirmed, suspended):
        with pytest.raises(Invalid) as exc, atomic():
            actions.add_member(moderator, "finance", email=user.email)
        assert exc.value.field == "email"
        assert _role(user, "finance") is None
    admin = make_user(admin=True)
    with pytest.raises(Invalid), atomic():
        actions.add_moderator(admin, "finance", email=suspended.email)


def test_an_admin_makes_anyone_a_moderator_joining_them_if_needed(communities):
    admin = make_user(admin=True)
    user = make_user()
    with atomic():
        actions.add_moderator(admin, "finance", email=user.email)
    assert _role(user, "finance") == "moderator"
    assert community("finance").member_count == 1
    assert [u.id for u in queries.moderators_of(community("finance"))] == [user.id]
    assert _audit() == [("community.add_moderator", "community", admin.id, {"user_id": user.id})]


def test_an_existing_member_keeps_one_membership_when_made_moderator(communities):
    admin = make_user(admin=True)
    user = make_user(communities=("finance",))
    with atomic():
        actions.add_moderator(admin, "finance", email=user.email)
    assert community("finance").member_count == 1
    assert membership_count("finance") == 1
    with pytest.raises(Invalid, match="already a moderator"), atomic():
        actions.add_moderator(admin, "finance", email=user.email)


def test_only_admins_assign_or_remove_moderators(communities):
    moderator = make_moderator("finance")
    other = make_user(communities=("finance",))
    with pytest.raises(Forbidden), atomic():
        actions.add_moderator(moderator, "finance", email=other.email)
    with pytest.raises(Forbidden), atomic():
        actions.remove_moderator(other, "finance", user_id=moderator.id)
    assert _role(other, "finance") == "member"
    assert _role(moderator, "finance") == "moderator"


def test_removing_a_moderator_keeps_them_a_member_and_is_audited(communities):
    moderator = make_moderator("finance")
    admin = make_user(admin=True)
    with atomic():
        actions.remove_moderator(admin, "finance", user_id=moderator.id)
    assert _role(moderator, "finance") == "member"
    assert community("finance").member_count == 1
    assert _audit()[-1] == (
        "community.remove_moderator",
        "community",
        admin.id,
        {"user_id": moderator.id},
    )
    with pytest.raises(NotFound, match="not a moderator"), atomic():
        actions.remove_moderator(admin, "finance", user_id=moderator.id)


def test_moderator_list_leaves_out_suspended_accounts(communities):
    moderator = make_moderator("finance")
    with atomic():
        db.session.get(User, moderator.id).suspended_at = utcnow()
    assert queries.moderators_of(community("finance")) == []


def test_create_community_checks_visibility_and_slug(communities):
    with pytest.raises(Invalid, match="Visibility"), atomic():
        actions.create_community(slug="x", name="X", visibility="secret")
    with pytest.raises(Invalid, match="exists"), atomic():
        actions.create_community(slug="finance", name="Finance again")
    for slug in ("Has Spaces", "UPPER", "-edge", "x" * 81, ""):
        with pytest.raises(Invalid) as exc, atomic():
            actions.create_community(slug=slug, name="Somewhere")
        assert exc.value.field == "slug"
    with pytest.raises(Invalid) as exc, atomic():
        actions.create_community(slug="somewhere", name="   ")
    assert exc.value.field == "name"
    with atomic():
        created = actions.create_community(
            slug="board-2", name="  The   Board ", visibility="members"
        )
    assert (created.name, created.is_public) == ("The Board", False)


# --- counters under concurrency -------------------------------------------------------------


def test_concurrent_joins_keep_the_member_count_right(app, communities):
    ids = [make_user().id for _ in range(10)]

    def work(user_id: int) -> None:
        with atomic():
            actions.join_community(db.session.get(User, user_id), "finance")

    assert run_concurrently(app, work, ids) == []
    assert membership_count("finance") == len(ids)
    assert community("finance").member_count == len(ids)


def test_concurrent_leaves_keep_the_member_count_right(app, communities):
    ids = [make_user(communities=("finance",)).id for _ in range(10)]
    assert community("finance").member_count == len(ids)

    def work(user_id: int) -> None:
        with atomic():
            actions.leave_community(db.session.get(User, user_id), "finance")

    assert run_concurrently(app, work, ids) == []
    assert membership_count("finance") == 0
    assert community("finance").member_count == 0


def test_the_same_member_joining_twice_at_once_gets_one_membership(app, communities):
    user_id = make_user().id

    def work(_: int) -> None:
        with atomic():
            actions.join_community(db.session.get(User, user_id), "finance")

    assert run_concurrently(app, work, [1, 2, 3]) == []
    assert membership_count("finance") == 1
    assert community("finance").member_count == 1


def test_the_same_member_leaving_twice_at_once_counts_once(app, communities):
    user_id = make_user(communities=("finance",)).id
    errors = run_concurrently(
        app,
        lambda _: _leave(user_id),
        [1, 2, 3],
    )
    # Exactly one leave happens; the others are told they are not members (never a crash).
    assert all(isinstance(e, Invalid) for e in errors), errors
    assert membership_count("finance") == 0
    assert community("finance").member_count == 0


def _leave(user_id: int) -> None:
    with atomic():
        actions.leave_community(db.session.get(User, user_id), "finance")


def test_posting_needs_a_membership_and_an_active_account(communities):
    member = make_user(communities=("finance",))
    outsider = make_user()
    assert access.access_community(member, "finance", need="post").slug == "finance"
    with pytest.raises(Forbidden, match="Join Finance to take part"):
        access.access_community(outsider, "finance", need="post")
    with pytest.raises(Forbidden, match="sign in"):
        access.access_community(None, "finance", need="post")
    with atomic():
        db.session.get(User, member.id).suspended_at = utcnow()
    with pytest.raises(Forbidden, match="suspended"):
        access.access_community(db.session.get(User, member.id), "finance", need="post")


def test_moderate_needs_the_moderator_role(communities):
    moderator = make_moderator("finance")
    member = make_user(communities=("finance",))
    assert access.access_community(moderator, "finance", need="moderate").slug == "finance"
    assert access.access_community(make_user(admin=True), "finance", need="moderate")
    with pytest.raises(Forbidden):
        access.access_community(member, "finance", need="moderate")
    with pytest.raises(Forbidden):
        access.access_community(None, "finance", need="moderate")
