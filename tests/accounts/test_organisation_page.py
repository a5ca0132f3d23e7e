"""The organisation page lists what its members published: resources and recent threads,
of those the reader may see (the resource bank's and the threads' own visibility rules)."""

from community.accounts import actions as account_actions
from community.accounts.models import Organisation
from community.communities.models import Community
from community.db import atomic
from community.extensions import db
from community.resources import actions as resource_actions
from community.threads import actions as thread_actions
from tests.factories import make_moderator, make_user
from tests.resources.helpers import live, submit


def _setup(communities):
    with atomic():
        org = account_actions.create_organisation(name="Riverside Trust")
    org = db.session.get(Organisation, org.id)
    una = make_user("Una Byrne", organisation=str(org.id), communities=("procurement", "finance"))
    with atomic():
        finance = db.session.get(Community, communities["finance"].id)
        finance.visibility = "members"  # members only: its threads are not for everyone
    outsider = make_user("Olu Outsider", communities=("procurement",))
    mod = make_moderator("procurement", make_user("Mona Moderator"))
    shared = submit(una, title="Weighting social value: a toolkit")
    pending = submit(una, title="Draft still in review")
    other = submit(outsider, title="Someone else's guide")
    for resource_id in (shared, other):
        with atomic():
            resource_actions.approve_resource(live(mod), resource_id)
    with atomic():
        thread_actions.start_thread(live(una), "procurement", title="Open tender thread", body="Hi")
    with atomic():
        thread_actions.start_thread(live(una), "finance", title="Members-only money", body="Hi")
    with atomic():
        thread_actions.start_thread(
            live(outsider), "procurement", title="Outsider thread", body="Hi"
        )
    db.session.rollback()
    assert pending
    return org, una, outsider


def test_a_visitor_sees_published_resources_and_public_threads(client, communities):
    org, _, _ = _setup(communities)
    html = client.get(f"/orgs/{org.slug}").get_data(as_text=True)
    assert "Weighting social value: a toolkit" in html
    assert "Open tender thread" in html
    assert "Draft still in review" not in html  # not published
    assert "Someone else&#39;s guide" not in html  # another organisation's member
    assert "Outsider thread" not in html
    assert "Members-only money" not in html  # finance is members only


def test_a_member_of_the_community_sees_its_threads(browser, communities):
    org, una, _ = _setup(communities)
    browser.login(una.email)
    html = browser.get(f"/orgs/{org.slug}").get_data(as_text=True)
    assert "Members-only money" in html
    assert "Open tender thread" in html
    assert "Una Byrne" in html  # and the members, as before


def test_nothing_to_show(client, communities):
    with atomic():
        org = account_actions.create_organisation(name="Quiet Partnership")
    html = client.get(f"/orgs/{org.slug}").get_data(as_text=True)
    assert "No resources from Quiet Partnership that you can see yet." in html
    assert "No threads started by Quiet Partnership" in html
