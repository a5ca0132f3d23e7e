"""/admin/communities: creating, editing and ordering communities (admins only, audited)."""

import pytest
from sqlalchemy import func, select

from community.chat.models import ChatRoom
from community.communities import admin_actions
from community.communities.models import Community
from community.db import atomic
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.moderation.models import AuditLog
from community.moderation.queries import recent_audit
from tests.communities.helpers import community, fresh, post, text_of
from tests.resources.helpers import live


def _order() -> list[str]:
    fresh()
    return list(
        db.session.scalars(select(Community.slug).order_by(Community.position, Community.id))
    )


def _positions() -> list[int]:
    fresh()
    return list(
        db.session.scalars(select(Community.position).order_by(Community.position, Community.id))
    )


def _texts() -> list[str]:
    fresh()
    return [entry.text for entry in recent_audit()]


def _count(model, **where) -> int:
    fresh()
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def _create(admin, **kw) -> Community:
    values = {"slug": "social-value", "name": "Social value", "description": "Measuring it."}
    with atomic():
        created = admin_actions.add_community(live(admin), **{**values, **kw})
        slug = created.slug
    return community(slug)


# --- actions ---------------------------------------------------------------------------------


def test_an_admin_creates_a_community_at_the_end_with_its_room(admin, communities):
    last = _order()[-1]
    created = _create(admin, visibility="members")
    assert _order()[-2:] == [last, "social-value"]
    assert (created.name, created.description, created.visibility) == (
        "Social value",
        "Measuring it.",
        "members",
    )
    assert _count(ChatRoom, kind="community", target_id=created.id) == 1
    assert "Ada Admin created the community Social value (members-only, at /c/social-value)" in (
        _texts()
    )


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"slug": "finance"}, "slug", "A community with that address exists."),
        ({"slug": "event-12"}, "slug", "reserved"),
        ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
        ({"slug": "-x"}, "slug", "lower-case letters"),
        ({"slug": "   "}, "slug", "Give the community an address"),
        ({"name": "  "}, "name", "Give the community a name."),
        ({"name": "n" * 121}, "name", "at most 120"),
        ({"description": "d" * 1001}, "description", "at most 1,000"),
        ({"visibility": "secret"}, "visibility", "public or members"),
    ],
)
def test_creating_refuses_bad_input_and_creates_nothing(admin, communities, kw, field, message):
    before = _count(Community)
    with pytest.raises(Invalid) as caught:
        _create(admin, **kw)
    assert caught.value.field == field
    assert message in caught.value.message
    assert _count(Community) == before
    assert _count(AuditLog, action="community.create") == 0


def test_only_admins_create_edit_move_and_list(mod, communities):
    for attempt in (
        lambda: admin_actions.add_community(live(mod), slug="x", name="X"),
        lambda: admin_actions.edit_community(live(mod), "procurement", name="P", description=""),
        lambda: admin_actions.move_community(live(mod), "procurement", "up"),
        lambda: admin_actions.communities_in_order(live(mod)),
    ):
        with pytest.raises(Forbidden), atomic():
            attempt()
    assert community("procurement").name == "Procurement"


def test_editing_renames_and_describes_and_keeps_the_address(admin, communities):
    with atomic():
        admin_actions.edit_community(
            live(admin), "finance", name="Money matters", description="Budgets  and\nbids."
        )
    edited = community("finance")
    assert (edited.slug, edited.name, edited.description) == (
        "finance",
        "Money matters",
        "Budgets and bids.",
    )
    assert (
        "Ada Admin renamed the community “Finance” to Money matters (and changed its "
        "description)" in _texts()
    )
    with atomic():
        admin_actions.edit_community(live(admin), "finance", name="Money matters", description="")
    assert "Ada Admin changed the description of Money matters" in _texts()
    with atomic():  # nothing changed: nothing recorded
        admin_actions.edit_community(live(admin), "finance", name="Money matters", description="")
    assert _count(AuditLog, action="community.edit") == 2


def test_editing_refuses_an_empty_name(admin, communities):
    with pytest.raises(Invalid) as caught, atomic():
        admin_actions.edit_community(live(admin), "finance", name=" ", description="New")
    assert caught.value.field == "name"
    assert community("finance").name == "Finance"


def test_moving_swaps_neighbours_and_keeps_positions_dense(admin, communities):
    with atomic():  # gaps and ties, as hand-edited or older data might leave them
        for i, c in enumerate(db.session.scalars(select(Community).order_by(Community.id))):
            c.position = (i // 2) * 10
    order = _order()
    with atomic():
        admin_actions.move_community(live(admin), order[2], "up")
    order[1], order[2] = order[2], order[1]
    assert _order() == order
    assert _positions() == list(range(len(order)))
    with atomic():
        admin_actions.move_community(live(admin), order[0], "down")
    order[0], order[1] = order[1], order[0]
    assert _order() == order
    name = community(order[1]).name
    assert f"Ada Admin moved {name} down the list (now number 2)" in _texts()


def test_moving_past_either_end_is_refused(admin, communities):
    order = _order()
    for slug, direction in ((order[0], "up"), (order[-1], "down"), (order[1], "sideways")):
        with pytest.raises(Invalid), atomic():
            admin_actions.move_community(live(admin), slug, direction)
    assert _order() == order
    assert _count(AuditLog, action="community.move") == 0


def test_the_home_page_follows_the_order(client, admin, communities):
    order = _order()
    with atomic():
        admin_actions.move_community(live(admin), order[-1], "up")
    names = [community(slug).name for slug in _order()]
    text = text_of(client.get("/").get_data(as_text=True))
    shown = sorted(names, key=text.index)
    assert shown == names


# --- the pages --------------------------------------------------------------------------------

PAGES = ["/admin/communities", "/admin/communities/new", "/admin/communities/finance/edit"]


def test_the_pages_are_for_admins_only(browser, mod, communities):
    for page in PAGES:
        assert browser.get(page).status_code == 302  # to sign in
    browser.login(mod.email)
    for page in PAGES:
        assert browser.get(page).status_code == 403, page
    for action, data in (
        ("/admin/communities/new", {"slug": "x", "name": "X", "visibility": "public"}),
        ("/admin/communities/finance/edit", {"name": "X"}),
        ("/admin/communities/finance/move", {"direction": "up"}),
    ):
        assert post(browser.client, action, data, token_page="/settings").status_code == 403
    assert community("finance").name == "Finance"


def test_the_list_shows_the_order_with_buttons_and_links(browser, admin, communities):
    browser.login(admin.email)
    html = browser.get("/admin/communities").get_data(as_text=True)
    order = _order()
    text = text_of(html)
    positions = [text.index(f"/c/{slug} ") for slug in order]
    assert positions == sorted(positions)
    assert f'href="/c/{order[0]}/manage"' in html
    assert f'href="/admin/communities/{order[0]}/edit"' in html
    first = community(order[0]).name
    assert f"Move down {first}" in text
    assert f"Move up {first}" not in text  # the first cannot go higher
    assert f"Move down {community(order[-1]).name}" not in text


def test_moving_through_the_page(browser, admin, communities):
    browser.login(admin.email)
    order = _order()
    response = browser.submit(
        "/admin/communities", {"direction": "up"}, action=f"/admin/communities/{order[1]}/move"
    )
    assert response.status_code == 302
    assert _order()[:2] == [order[1], order[0]]
    response = browser.submit(
        "/admin/communities", {"direction": "up"}, action=f"/admin/communities/{order[1]}/move"
    )
    assert response.status_code == 400
    assert "is already first in the list" in response.get_data(as_text=True)
    no_token = browser.client.post(
        f"/admin/communities/{order[1]}/move", data={"direction": "down"}
    )
    assert no_token.status_code == 400
    assert _order()[:2] == [order[1], order[0]]


def test_creating_through_the_form(browser, admin, communities):
    browser.login(admin.email)
    response = browser.submit(
        "/admin/communities/new",
        {"name": "Social value", "slug": "social-value", "description": "", "visibility": "public"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/c/social-value/manage")
    assert browser.get("/c/social-value").status_code == 200


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"slug": "finance"}, "slug", "A community with that address exists."),
        ({"slug": "event-7"}, "slug", "are reserved for the site"),
        ({"slug": "Not A Slug"}, "slug", "lower-case letters, digits and hyphens"),
        ({"name": ""}, "name", "Give the community a name."),
    ],
)
def test_bad_input_keeps_the_form_with_the_message_beside_the_field(
    browser, admin, communities, typed, field, message
):
    browser.login(admin.email)
    before = _count(Community)
    data = {"name": "Social value", "slug": "social-value", "description": "Kept words.",
            "visibility": "members", **typed}  # fmt: skip
    response = browser.submit("/admin/communities/new", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = html.index(f'id="{field}-error"')
    assert message in html[error : error + 400]
    assert "Kept words.</textarea>" in html
    assert '<input checked id="visibility-1" name="visibility" type="radio" value="members">' in (
        html
    )
    if typed.get("slug"):
        assert f'value="{typed["slug"]}"' in html
    assert _count(Community) == before


def test_editing_through_the_form(browser, admin, communities):
    browser.login(admin.email)
    page = "/admin/communities/finance/edit"
    assert 'value="Finance"' in browser.get(page).get_data(as_text=True)
    response = browser.submit(page, {"name": "", "description": "Typed."})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html
    assert "Typed.</textarea>" in html
    response = browser.submit(page, {"name": "Money", "description": "Typed."})
    assert response.status_code == 302
    assert community("finance").name == "Money"
    assert browser.get("/admin/communities/nowhere/edit").status_code == 404
