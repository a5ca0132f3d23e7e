"""Communities as admins arrange them at /admin/communities: creating one, renaming and
describing it, and its place in the order every list shows (the home page's first).
Admins only; every change is audited. Visibility, archiving and moderators are the manage
page's (actions.py)."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.rules import require_admin, without_controls
from ..errors import Invalid
from ..extensions import db
from ..moderation.audit import record
from .access import access_community
from .actions import create_community
from .models import Community

NAME_MAX = 120
DESCRIPTION_MAX = 1000
DIRECTIONS = ("up", "down")


def communities_in_order(actor: User) -> list[Community]:
    """Every community, archived ones too, in the order the site lists them."""
    require_admin(actor)
    return list(db.session.scalars(select(Community).order_by(Community.position, Community.id)))


def _name(value: str) -> str:
    name = " ".join(without_controls(value).split())
    if not name:
        raise Invalid("Give the community a name.", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"A community's name has at most {NAME_MAX} characters.", field="name")
    return name


def _description(value: str) -> str:
    description = " ".join(without_controls(value).split())  # shown as one paragraph
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description has at most {DESCRIPTION_MAX:,} characters.", field="description"
        )
    return description


def add_community(
    actor: User, *, slug: str, name: str, description: str = "", visibility: str = "public"
) -> Community:
    """Create a community at the end of the list (its chat room comes with it). Admins only."""
    require_admin(actor)
    slug = (slug if isinstance(slug, str) else "").strip()
    if not slug:
        raise Invalid("Give the community an address, like “social-value”.", field="slug")
    name, description = _name(name), _description(description)
    last = db.session.scalar(select(func.max(Community.position)))
    try:
        with db.session.begin_nested():
            community = create_community(
                slug=slug,
                name=name,
                description=description,
                visibility=visibility if isinstance(visibility, str) else "",
                position=0 if last is None else last + 1,
            )
    except IntegrityError as exc:  # the same address taken a moment ago
        raise Invalid("A community with that address exists.", field="slug") from exc
    record(
        actor,
        "community.create",
        ("community", community.id),
        community=community,
        slug=slug,
        visibility=community.visibility,
    )
    return community


def edit_community(actor: User, slug: str, *, name: str, description: str) -> Community:
    """Change a community's name and description (its address stays). Admins only."""
    require_admin(actor)
    community = access_community(actor, slug)
    new = {"name": _name(name), "description": _description(description)}
    changed = [field for field, value in new.items() if getattr(community, field) != value]
    if not changed:
        return community
    old_name = community.name
    for field in changed:
        setattr(community, field, new[field])
    record(
        actor,
        "community.edit",
        ("community", community.id),
        community=community,
        changed=changed,
        old_name=old_name if "name" in changed else "",
    )
    return community


def move_community(actor: User, slug: str, direction: str) -> Community:
    """Move a community one place up or down the list. Admins only. The positions are
    renumbered 0, 1, 2… on the way, so they stay dense whatever they were."""
    require_admin(actor)
    community = access_community(actor, slug)
    if direction not in DIRECTIONS:
        raise Invalid("A community moves up or down.", field="direction")
    # Locked in order (PostgreSQL): two admins' moves happen one after the other.
    ordered = list(
        db.session.scalars(
            select(Community).order_by(Community.position, Community.id).with_for_update()
        )
    )
    at = ordered.index(community)
    to = at - 1 if direction == "up" else at + 1
    if not 0 <= to < len(ordered):
        raise Invalid(
            f"{community.name} is already {'first' if direction == 'up' else 'last'} in the list."
        )
    ordered[at], ordered[to] = ordered[to], ordered[at]
    for position, each in enumerate(ordered):
        if each.position != position:
            each.position = position
    record(
        actor,
        "community.move",
        ("community", community.id),
        community=community,
        direction=direction,
        position=to + 1,
    )
    return community
