"""The permission matrix: every role against every state of a resource, for seeing it (page,
listing, search, download), editing it, curating it and discussing it.

Roles: its submitter, another member of its community, a member of no community, a
moderator of another community, its community's moderator, an admin, a signed-out visitor.
"""

import pytest

from community.errors import Forbidden, NotFound
from community.extensions import db
from community.resources import actions, queries
from community.search.queries import Filters, search
from tests.factories import make_moderator, make_user
from tests.resources.helpers import details, live, reload, run, submit

ROLES = ("submitter", "member", "non_member", "other_moderator", "moderator", "admin", "visitor")
STATES = ("pending", "changes_requested", "rejected", "published", "archived")

# Who sees a resource in each state (in a public community).
SEES = {
    "pending": {"submitter", "moderator", "admin"},
    "changes_requested": {"submitter", "moderator", "admin"},
    "rejected": {"submitter", "moderator", "admin"},
    "published": set(ROLES),
    "archived": set(ROLES),
}
# Who may change its description and upload versions.
EDITS = {
    "pending": {"submitter", "moderator", "admin"},
    "changes_requested": {"submitter", "moderator", "admin"},
    "rejected": {"moderator", "admin"},
    "published": {"moderator", "admin"},
    "archived": {"moderator", "admin"},
}
CURATES = {"moderator", "admin"}
# Who may add to its discussion: members of its community, once it is published.
DISCUSSES = {
    "published": {"submitter", "member", "moderator"},
    "archived": {"submitter", "member", "moderator"},
}


@pytest.fixture
def cast(communities):
    submitter = make_user("Sue Submitter", communities=("procurement",))
    people = {
        "submitter": submitter,
        "member": make_user("Mo Member", communities=("procurement",)),
        "non_member": make_user("Nia Nobody"),
        "other_moderator": make_moderator("finance", make_user("Otto Other")),
        "moderator": make_moderator("procurement", make_user("Meg Moderator")),
        "admin": make_user("Ada Admin", admin=True),
        "visitor": None,
    }
    return people


def in_state(cast, state: str) -> int:
    resource_id = submit(cast["submitter"], title="Matrix toolkit")
    moderator = cast["moderator"]
    if state == "changes_requested":
        run(actions.request_changes, moderator, resource_id, reason="More detail")
    elif state == "rejected":
        run(actions.reject_resource, moderator, resource_id, reason="Out of scope")
    elif state in ("published", "archived"):
        run(actions.approve_resource, moderator, resource_id)
        if state == "archived":
            run(actions.set_archived, moderator, resource_id, True)
    assert reload(resource_id).status == state
    return resource_id


def as_user(user):
    return live(user) if user is not None else None


def outcome(call) -> str:
    db.session.rollback()
    try:
        call()
    except NotFound:
        return "404"
    except Forbidden:
        return "403"
    finally:
        db.session.rollback()
    return "ok"


@pytest.mark.parametrize("state", STATES)
def test_who_sees_it(cast, state):
    resource_id = in_state(cast, state)
    for role in ROLES:
        user = cast[role]
        seen = outcome(lambda u=user: actions.access_resource(as_user(u), resource_id))
        download = outcome(
            lambda u=user: actions.version_for_download(as_user(u), resource_id, None)
        )
        expected = "ok" if role in SEES[state] else "404"
        assert (role, seen, download) == (role, expected, expected)
        listed = [r.id for r in queries.browse(as_user(user), queries.Filters()).items]
        found = [r.url for r in search(as_user(user), "matrix", Filters()).items]
        in_listing = state == "published"  # pending, rejected and archived are not listed
        assert (role, listed, found) == (
            role,
            [resource_id] if in_listing else [],
            [f"/resources/{resource_id}"] if in_listing else [],
        )


@pytest.mark.parametrize("state", STATES)
def test_who_edits_it(cast, state):
    resource_id = in_state(cast, state)
    for role in ROLES:
        if role == "visitor":
            continue
        user = cast[role]
        result = outcome(
            lambda u=user: run(
                actions.edit_resource, u, resource_id, details(title="Matrix toolkit")
            )
        )
        if role in EDITS[state]:
            expected = "ok"
        elif role in SEES[state]:
            expected = "403"
        else:
            expected = "404"
        assert (role, result) == (role, expected)


@pytest.mark.parametrize("state", ["pending", "published"])
def test_who_curates_it(cast, state):
    for role in ROLES:
        if role == "visitor":
            continue
        resource_id = in_state(cast, state)  # a fresh one each time: approving changes it
        if state == "pending":
            result = outcome(
                lambda r=role, i=resource_id: run(actions.approve_resource, cast[r], i)
            )
        else:
            result = outcome(
                lambda r=role, i=resource_id: run(actions.set_featured, cast[r], i, True)
            )
        if role in CURATES:
            expected = "ok"
        elif role in SEES[state]:
            expected = "403"
        else:
            expected = "404"
        assert (role, result) == (role, expected)


@pytest.mark.parametrize("state", ["pending", "published", "archived"])
def test_who_discusses_it(cast, state):
    resource_id = in_state(cast, state)
    for role in ROLES:
        if role == "visitor":
            continue
        result = outcome(
            lambda r=role: run(actions.discuss, cast[r], resource_id, body=f"From {r}")
        )
        if role in DISCUSSES.get(state, set()):
            expected = "ok"
        elif role in SEES[state]:
            expected = "403"
        else:
            expected = "404"
        assert (role, result) == (role, expected)
