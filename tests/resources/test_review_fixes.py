"""Fixes from the security review of the resource bank: the discussion thread is never
replaced, query strings never 500, moderators self-publish only where they moderate,
downloads count once per visitor, and a held upload belongs to whoever uploaded it."""

import io
import re

import pytest

from community.errors import Forbidden
from community.resources import actions
from tests.communities.helpers import set_visibility
from tests.factories import join, make_moderator, make_user
from tests.filesamples import pdf_bytes
from tests.resources.helpers import reload, run, submit


def test_a_discussion_thread_others_cannot_read_is_never_replaced(admin, communities):
    alpha = make_user("Alpha", communities=("procurement",))
    carl = make_user("Carl", communities=("finance",))
    join(admin, "procurement")
    join(admin, "finance")
    resource_id = submit(admin, communities=["procurement", "finance"])
    run(actions.discuss, alpha, resource_id, body="First thoughts")
    thread_id = reload(resource_id).thread_id
    with pytest.raises(Forbidden, match="Join Procurement"):
        run(actions.discuss, carl, resource_id, body="From finance")
    set_visibility("procurement", "members")
    with pytest.raises(Forbidden, match="Join Procurement"):
        run(actions.discuss, carl, resource_id, body="Still from finance")
    assert reload(resource_id).thread_id == thread_id


def test_the_first_discussion_goes_to_a_public_community(admin, communities):
    member = make_user(communities=("procurement", "finance"))
    join(admin, "procurement")
    join(admin, "finance")
    set_visibility("procurement", "members")
    resource_id = submit(admin, communities=["procurement", "finance"])
    post = run(actions.discuss, member, resource_id, body="Hello")
    assert post.thread.community.slug == "finance"


@pytest.mark.parametrize("year", ["99999", "%C2%B2", "0", "-1", "2006.5", "1e3"])
def test_odd_years_are_no_filter_never_a_500(client, communities, year):
    assert client.get(f"/resources?year={year}").status_code == 200
    assert client.get(f"/c/procurement/resources?year={year}").status_code == 200


def test_a_moderator_of_one_community_does_not_self_publish_into_another(communities):
    fred = make_moderator("finance", make_user("Fred"))
    join(fred, "procurement")
    both = submit(fred, communities=["procurement", "finance"])
    assert reload(both).status == "pending"
    own = submit(fred, communities=["finance"])
    assert reload(own).status == "published"


def test_downloads_count_once_per_visitor(app, client, alice, mod, bob):
    from tests.conftest import Browser

    run(actions.approve_resource, mod, resource_id := submit(alice))
    for _ in range(5):
        client.get(f"/resources/{resource_id}/download")
    assert reload(resource_id).download_count == 1
    member = Browser(app.test_client())
    member.login(bob.email)
    member.get(f"/resources/{resource_id}/download")
    assert reload(resource_id).download_count == 2


def test_a_held_file_cannot_be_attached_by_someone_else(app, browser, alice, bob):
    from tests.conftest import Browser

    browser.login(alice.email)
    response = browser.submit(
        "/resources/new",
        {"title": "", "kind": "toolkit", "communities": ["procurement"],
         "file": (io.BytesIO(pdf_bytes()), "alice-private.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    token = re.search(
        r'name="held_file" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    ).group(1)
    other = Browser(app.test_client())
    other.login(bob.email)
    stolen = other.submit(
        "/resources/new",
        {"title": "Mine now", "kind": "toolkit", "communities": ["procurement"],
         "held_file": token},
    )  # fmt: skip
    assert stolen.status_code == 400
    assert "Attach a file" in stolen.get_data(as_text=True)
