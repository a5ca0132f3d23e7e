"""/admin/organisations: adding, editing and merging organisations (admins only, audited);
a merge moves every member and resource to the survivor in one transaction."""

import pytest
from sqlalchemy import func, select

from community import signals
from community.accounts import organisations as org_actions
from community.accounts.models import Organisation, User
from community.db import atomic
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.moderation.models import AuditLog
from community.moderation.queries import recent_audit
from community.resources import actions as resource_actions
from community.resources.models import Resource, ResourceProposal
from community.search.models import SearchDocument
from tests.communities.helpers import text_of
from tests.factories import make_user
from tests.resources.helpers import details, live, pdf_upload, submit


def _details(**kw) -> org_actions.OrganisationDetails:
    return org_actions.OrganisationDetails(**{"name": "Foo Ltd", **kw})


def _add(admin, **kw) -> Organisation:
    with atomic():
        org = org_actions.add_organisation(live(admin), _details(**kw))
        org_id = org.id
    db.session.rollback()
    return db.session.get(Organisation, org_id)


def _org(org_id: int) -> Organisation | None:
    db.session.rollback()  # a fresh read (SQLite keeps the test's old snapshot otherwise)
    return db.session.get(Organisation, org_id)


def _member(org: Organisation, name: str | None = None, **kw) -> User:
    return make_user(name, organisation=str(org.id), **kw)


def _texts() -> list[str]:
    db.session.rollback()
    return [entry.text for entry in recent_audit()]


def _count(model, **where) -> int:
    db.session.rollback()
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


@pytest.fixture
def duplicates(admin, communities):
    """ "Foo Ltd" (two members, one resource, one proposal naming it) and "Foo Limited" (one
    member): the first is the duplicate."""
    merged = _add(admin, name="Foo Ltd", kind="council")
    survivor = _add(admin, name="Foo Limited", kind="council")
    una = _member(merged, "Una Byrne", communities=("procurement",))
    _member(merged, "Ola Unconfirmed", verified=False)  # members of every kind move
    _member(survivor, "Sid Survivor")
    resource_id = submit(una, organisation_id=merged.id)
    other_id = submit(una, organisation_id=survivor.id, title="Already theirs")
    with atomic():
        resource_actions.approve_resource(live(admin), other_id)
    with atomic():
        proposal = resource_actions.propose_version(
            live(una), other_id, details(organisation_id=merged.id), upload=pdf_upload()
        )
        proposal_id = proposal.id
    return {
        "merged": merged.id,
        "survivor": survivor.id,
        "resource": resource_id,
        "other": other_id,
        "proposal": proposal_id,
        "merged_slug": merged.slug,
        "survivor_slug": survivor.slug,
    }


# --- adding and editing ----------------------------------------------------------------------


def test_an_admin_adds_an_organisation_and_the_audit_names_it(admin):
    org = _add(
        admin,
        name="  Riverside   Trust ",
        kind="development partnership",
        description="Homes and jobs.",
        website="https://riverside.example.org/",
        region="North West",
    )
    assert (org.name, org.slug, org.kind, org.region) == (
        "Riverside Trust",
        "riverside-trust",
        "development partnership",
        "North West",
    )
    assert org.website == "https://riverside.example.org/"
    assert "Ada Admin added the organisation “Riverside Trust” to the list" in _texts()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "FOO LTD"}, "name"),  # "Foo Ltd" exists: names are unique in any case
        ({"name": "x" * 201}, "name"),
        ({"website": "ftp://example.org"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "https://"}, "website"),
        ({"website": "https://exa mple.org"}, "website"),
        ({"kind": "k" * 61}, "kind"),
        ({"region": "r" * 121}, "region"),
        ({"description": "d" * 2001}, "description"),
    ],
)
def test_adding_refuses_bad_details_and_adds_nothing(admin, kw, field):
    _add(admin)
    before = _count(Organisation)
    with pytest.raises(Invalid) as caught, atomic():
        org_actions.add_organisation(live(admin), _details(**{"name": "Bar", **kw}))
    assert caught.value.field == field
    assert _count(Organisation) == before
    assert _count(AuditLog, action="organisation.create") == 1


def test_only_admins_add_edit_and_merge(admin, stranger):
    org = _add(admin)
    other = _add(admin, name="Other")
    before = _count(Organisation)
    for attempt in (
        lambda: org_actions.add_organisation(live(stranger), _details(name="New")),
        lambda: org_actions.edit_organisation(live(stranger), org.id, _details(name="Renamed")),
        lambda: org_actions.merge_organisations(live(stranger), org.id, other.id),
        lambda: org_actions.organisations_for_admin(live(stranger)),
    ):
        with pytest.raises(Forbidden), atomic():
            attempt()
    assert _count(Organisation) == before
    assert _org(org.id).name == "Foo Ltd"


def test_editing_renames_keeps_the_address_and_is_audited(admin):
    org = _add(admin, website="http://foo.example.org")
    with atomic():
        org_actions.edit_organisation(
            live(admin),
            org.id,
            _details(name="Foo Limited", website="https://foo.example.org", region="Wales"),
        )
    org = _org(org.id)
    assert (org.name, org.slug, org.website, org.region) == (
        "Foo Limited",
        "foo-ltd",
        "https://foo.example.org",
        "Wales",
    )
    assert (
        "Ada Admin renamed the organisation “Foo Ltd” to “Foo Limited” (and changed its "
        "website and region)" in _texts()
    )
    with atomic():
        org_actions.edit_organisation(live(admin), org.id, _details(name="Foo Limited"))
    assert "Ada Admin changed the website and region of the organisation “Foo Limited”" in _texts()


def test_editing_to_another_organisations_name_is_refused(admin):
    _add(admin, name="Bar Trust")
    org = _add(admin)
    with pytest.raises(Invalid) as caught, atomic():
        org_actions.edit_organisation(live(admin), org.id, _details(name="bar trust"))
    assert caught.value.field == "name"
    assert _org(org.id).name == "Foo Ltd"
    with atomic():  # its own name in another case is fine
        org_actions.edit_organisation(live(admin), org.id, _details(name="FOO Ltd"))
    assert _org(org.id).name == "FOO Ltd"


def test_an_unchanged_edit_records_nothing(admin):
    org = _add(admin, kind="council")
    with atomic():
        org_actions.edit_organisation(live(admin), org.id, _details(kind="council"))
    assert _count(AuditLog, action="organisation.edit") == 0


# --- the list ---------------------------------------------------------------------------------


def test_the_list_counts_members_and_resources_and_searches_names(duplicates, admin):
    _add(admin, name="Ämter Verbund")
    rows = org_actions.organisations_for_admin(live(admin))
    assert len(rows) == _count(Organisation)  # the seeded ones too
    rows = [r for r in rows if r.organisation.name.startswith(("Foo", "Ämter"))]
    assert [(r.organisation.name, r.members, r.resources) for r in rows] == [
        ("Ämter Verbund", 0, 0),
        ("Foo Limited", 1, 1),
        ("Foo Ltd", 2, 1),
    ]
    found = org_actions.organisations_for_admin(live(admin), q="  äMTER ")
    assert [r.organisation.name for r in found] == ["Ämter Verbund"]
    assert org_actions.organisations_for_admin(live(admin), q="nothing like it") == []


# --- merging ---------------------------------------------------------------------------------


def test_a_merge_moves_every_member_and_resource_and_deletes_the_duplicate(app, admin, duplicates):
    heard = []

    def spy(_app, **payload):
        heard.append((payload["survivor"].id, payload["merged_id"]))

    with signals.organisation_merged.connected_to(spy, sender=app), atomic():
        done = org_actions.merge_organisations(
            live(admin), duplicates["merged"], duplicates["survivor"]
        )
        assert (done.members, done.resources, done.merged_name) == (2, 1, "Foo Ltd")
    assert heard == [(duplicates["survivor"], duplicates["merged"])]
    assert _org(duplicates["merged"]) is None
    assert _count(User, organisation_id=duplicates["survivor"]) == 3
    assert _count(Resource, organisation_id=duplicates["survivor"]) == 2
    proposal = db.session.get(ResourceProposal, duplicates["proposal"])
    assert proposal.details["organisation_id"] == duplicates["survivor"]
    assert (
        "Ada Admin merged the organisation “Foo Ltd” into “Foo Limited” "
        "(2 members, 1 resource moved)" in _texts()
    )
    # The earlier entries about the merged organisation still name it.
    assert "Ada Admin added the organisation “Foo Ltd” to the list" in _texts()


def _indexed(resource_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(
        select(SearchDocument.body).where(
            SearchDocument.kind == "resource", SearchDocument.object_id == resource_id
        )
    )


def test_search_finds_moved_resources_by_the_survivors_name(admin, duplicates):
    with atomic():
        resource_actions.approve_resource(live(admin), duplicates["resource"])
    assert "Foo Ltd" in _indexed(duplicates["resource"])
    with atomic():
        org_actions.merge_organisations(live(admin), duplicates["merged"], duplicates["survivor"])
    assert "Foo Limited" in _indexed(duplicates["resource"])
    assert "Foo Ltd" not in _indexed(duplicates["resource"])
    with atomic():  # renamed: the same
        org_actions.edit_organisation(
            live(admin), duplicates["survivor"], _details(name="Foo Group", kind="council")
        )
    assert "Foo Group" in _indexed(duplicates["resource"])
    assert "Foo Group" in _indexed(duplicates["other"])


def test_merging_into_itself_is_refused(admin, duplicates):
    with pytest.raises(Invalid) as caught, atomic():
        org_actions.merge_organisations(live(admin), duplicates["merged"], duplicates["merged"])
    assert caught.value.field == "survivor"
    assert "cannot be merged into itself" in caught.value.message
    assert _org(duplicates["merged"]) is not None
    assert _count(User, organisation_id=duplicates["merged"]) == 2


@pytest.mark.parametrize("survivor", ["", "abc", "999999"])
def test_merging_into_nothing_is_refused(admin, duplicates, survivor):
    with pytest.raises(Invalid), atomic():
        org_actions.merge_organisations(live(admin), duplicates["merged"], survivor)
    assert _org(duplicates["merged"]) is not None


def test_a_failing_merge_leaves_nothing_half_done(app, admin, duplicates):
    def broken(_app, **_):
        raise RuntimeError("a receiver failed")

    with (
        signals.organisation_merged.connected_to(broken, sender=app),
        pytest.raises(RuntimeError),
        atomic(),
    ):
        org_actions.merge_organisations(live(admin), duplicates["merged"], duplicates["survivor"])
    assert _org(duplicates["merged"]) is not None
    assert _count(User, organisation_id=duplicates["merged"]) == 2
    assert _count(Resource, organisation_id=duplicates["merged"]) == 1
    assert (
        db.session.get(ResourceProposal, duplicates["proposal"]).details["organisation_id"]
        == (duplicates["merged"])
    )
    assert _count(AuditLog, action="organisation.merge") == 0


def test_the_merged_organisations_page_leads_to_the_survivor(client, admin, duplicates):
    third = _add(admin, name="Foo Group")
    with atomic():
        org_actions.merge_organisations(live(admin), duplicates["merged"], duplicates["survivor"])
    response = client.get(f"/orgs/{duplicates['merged_slug']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orgs/{duplicates['survivor_slug']}")
    with atomic():  # merged again: both old addresses lead to the last survivor
        org_actions.merge_organisations(live(admin), duplicates["survivor"], third.id)
    for slug in (duplicates["merged_slug"], duplicates["survivor_slug"]):
        response = client.get(f"/orgs/{slug}")
        assert response.headers["Location"].endswith(f"/orgs/{third.slug}"), slug
    assert client.get("/orgs/never-was").status_code == 404


# --- the pages --------------------------------------------------------------------------------

PAGES = ["/admin/organisations", "/admin/organisations/new", "/admin/organisations/{id}/edit",
         "/admin/organisations/{id}/merge"]  # fmt: skip


def test_the_pages_are_for_admins_only(browser, admin, stranger):
    org = _add(admin)
    before = _count(Organisation)
    for page in PAGES:
        assert browser.get(page.format(id=org.id)).status_code == 302  # to sign in
    browser.login(stranger.email)
    for page in PAGES:
        assert browser.get(page.format(id=org.id)).status_code == 403, page
    token_page = "/settings"
    for action in ("/admin/organisations/new", f"/admin/organisations/{org.id}/edit",
                   f"/admin/organisations/{org.id}/merge"):  # fmt: skip
        response = browser.submit(token_page, {"name": "X", "survivor": "1"}, action=action)
        assert response.status_code == 403, action
    assert _count(Organisation) == before


def test_the_list_page_shows_counts_and_links(browser, admin, duplicates):
    browser.login(admin.email)
    html = browser.get("/admin/organisations").get_data(as_text=True)
    text = text_of(html)
    assert "Foo Ltd council Edit Foo Ltd · Merge Foo Ltd into another 2 1" in text
    assert f'href="/admin/organisations/{duplicates["merged"]}/merge"' in html
    assert '<th scope="col">Members</th>' in html
    searched = text_of(browser.get("/admin/organisations?q=limited").get_data(as_text=True))
    assert "Foo Limited" in searched
    assert "Foo Ltd" not in searched


def test_adding_through_the_form(browser, admin):
    browser.login(admin.email)
    response = browser.submit(
        "/admin/organisations/new",
        {"name": "Riverside Trust", "kind": "council", "website": "https://r.example.org"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/organisations")
    assert "“Riverside Trust” is on the list" in browser.get("/admin/organisations").get_data(
        as_text=True
    )


def test_bad_input_keeps_the_form_with_the_message_beside_the_field(browser, admin):
    _add(admin)
    before = _count(Organisation)
    browser.login(admin.email)
    typed = {"name": "foo ltd", "kind": "council", "website": "", "region": "Wales"}
    response = browser.submit("/admin/organisations/new", typed)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html
    assert "An organisation of that name is already listed." in html
    assert 'value="foo ltd"' in html
    assert 'value="Wales"' in html
    response = browser.submit(
        "/admin/organisations/new", {**typed, "name": "Bar", "website": "ftp://x"}
    )
    assert response.status_code == 400
    assert 'id="website-error"' in response.get_data(as_text=True)
    assert _count(Organisation) == before


def test_editing_through_the_form(browser, admin):
    org = _add(admin, kind="council")
    browser.login(admin.email)
    page = f"/admin/organisations/{org.id}/edit"
    assert 'value="council"' in browser.get(page).get_data(as_text=True)
    response = browser.submit(page, {"name": "", "kind": "trust"})
    assert response.status_code == 400
    assert "Give the organisation a name." in response.get_data(as_text=True)
    response = browser.submit(page, {"name": "Foo Limited", "kind": "trust"})
    assert response.status_code == 302
    assert (_org(org.id).name, _org(org.id).kind) == ("Foo Limited", "trust")
    assert browser.get("/admin/organisations/999999/edit").status_code == 404


def test_merging_through_the_pages(browser, admin, duplicates):
    browser.login(admin.email)
    page = f"/admin/organisations/{duplicates['merged']}/merge"
    html = browser.get(page).get_data(as_text=True)
    assert f'<option value="{duplicates["survivor"]}">Foo Limited</option>' in html
    assert f'<option value="{duplicates["merged"]}"' not in html  # not itself
    confirm = browser.get(f"{page}?survivor={duplicates['survivor']}")
    assert confirm.status_code == 200
    assert "2 members and 1 resource move to “Foo Limited”; “Foo Ltd” is deleted." in text_of(
        confirm.get_data(as_text=True)
    )
    assert _org(duplicates["merged"]) is not None  # looking changes nothing
    response = browser.submit(
        f"{page}?survivor={duplicates['survivor']}", {"survivor": str(duplicates["survivor"])}
    )
    assert response.status_code == 302
    assert _org(duplicates["merged"]) is None
    flashed = text_of(browser.get("/admin/organisations").get_data(as_text=True))
    assert "“Foo Ltd” is merged into “Foo Limited”: 2 members and 1 resource moved." in flashed


def test_merging_into_itself_through_the_pages_is_a_clear_400(browser, admin, duplicates):
    browser.login(admin.email)
    page = f"/admin/organisations/{duplicates['merged']}/merge"
    looked = browser.get(f"{page}?survivor={duplicates['merged']}")
    assert looked.status_code == 400
    assert 'id="survivor-error"' in looked.get_data(as_text=True)
    assert "cannot be merged into itself" in looked.get_data(as_text=True)
    response = browser.submit(
        "/admin/organisations/new", {"survivor": str(duplicates["merged"])}, action=page
    )
    assert response.status_code == 400
    assert "cannot be merged into itself" in response.get_data(as_text=True)
    assert _org(duplicates["merged"]) is not None


def test_a_merge_without_its_token_changes_nothing(browser, admin, duplicates):
    browser.login(admin.email)
    response = browser.client.post(
        f"/admin/organisations/{duplicates['merged']}/merge",
        data={"survivor": str(duplicates["survivor"])},
    )
    assert response.status_code == 400
    assert _org(duplicates["merged"]) is not None
