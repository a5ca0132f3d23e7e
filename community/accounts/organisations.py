"""The organisations list as admins keep it: add, edit, and merge a duplicate into the one
that stays (its members and contributions move). Admins only; every change is audited.

Adding goes through `actions.create_organisation` (the seed and the CLI use it too), after
the checks it leaves out (field lengths, a website with a host).
"""

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..errors import Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..moderation.audit import record
from . import rules
from .actions import create_organisation
from .models import Organisation, User
from .rules import require_admin

KIND_MAX, REGION_MAX, WEBSITE_MAX, DESCRIPTION_MAX = 60, 120, 300, 2000
EDITED_FIELDS = ("name", "kind", "description", "website", "region")


@dataclass
class OrganisationDetails:
    """What the add and edit forms give."""

    name: str = ""
    kind: str = ""
    description: str = ""
    website: str = ""
    region: str = ""


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    members: int
    resources: int


@dataclass(frozen=True)
class Merged:
    """What a merge did: the survivor, the merged organisation's name, what moved."""

    survivor: Organisation
    merged_name: str
    members: int
    resources: int


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `survivor` moves, counted now (the confirmation page)."""

    merged: Organisation
    survivor: Organisation
    members: int
    resources: int


# --- reads -----------------------------------------------------------------------------------


def access_organisation(actor: User, organisation_id) -> Organisation:
    """An organisation for an admin to change: Forbidden for anyone else, else NotFound."""
    require_admin(actor)
    organisation_id = as_id(organisation_id)
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None:
        raise NotFound("That organisation is not on the list (it may have been merged).")
    return org


def _resource_model():
    # The resource bank imports accounts' models: imported here, not at the top.
    from ..resources.models import Resource

    return Resource


def organisations_for_admin(actor: User, *, q: str = "") -> list[OrganisationRow]:
    """Every organisation by name with its members and resources counted (all of them:
    unconfirmed and suspended members, resources in any state), those whose name contains
    `q` (any case). The list is the network's partners: hundreds at most, so one page."""
    require_admin(actor)
    resource = _resource_model()
    members = (
        select(User.organisation_id.label("org_id"), func.count().label("n"))
        .where(User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
        .subquery()
    )
    resources = (
        select(resource.organisation_id.label("org_id"), func.count().label("n"))
        .where(resource.organisation_id.is_not(None))
        .group_by(resource.organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Organisation, func.coalesce(members.c.n, 0), func.coalesce(resources.c.n, 0))
        .outerjoin(members, members.c.org_id == Organisation.id)
        .outerjoin(resources, resources.c.org_id == Organisation.id)
    )
    # Matched and sorted in Python: SQLite's lower() knows only ASCII ("Ä" would not find
    # "ä"), and the databases' collations differ.
    wanted = rules.one_line(q).casefold()
    found = [
        OrganisationRow(org, n_members, n_resources)
        for org, n_members, n_resources in rows
        if wanted in org.name.casefold()
    ]
    return sorted(found, key=lambda row: (sort_key(row.organisation.name), row.organisation.id))


def sort_key(name: str) -> str:
    """A name as it sorts: accents and case set aside ("Ämter" among the a's)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def merge_candidates(actor: User, merged: Organisation) -> list[Organisation]:
    """The organisations `merged` could be merged into: every other one, by name."""
    require_admin(actor)
    others = db.session.scalars(select(Organisation).where(Organisation.id != merged.id))
    return sorted(others, key=lambda org: (sort_key(org.name), org.id))


def _counts(organisation_id: int) -> tuple[int, int]:
    resource = _resource_model()
    members = db.session.scalar(
        select(func.count()).select_from(User).where(User.organisation_id == organisation_id)
    )
    resources = db.session.scalar(
        select(func.count())
        .select_from(resource)
        .where(resource.organisation_id == organisation_id)
    )
    return members or 0, resources or 0


def plan_merge(actor: User, merged_id, survivor_id) -> MergePlan:
    """What merging one organisation into another would move (nothing changes)."""
    merged = access_organisation(actor, merged_id)
    survivor_id = as_id(survivor_id or "")
    if survivor_id is None:
        raise Invalid("Choose the organisation that stays.", field="survivor")
    if survivor_id == merged.id:
        raise Invalid(
            f"An organisation cannot be merged into itself: choose the one “{merged.name}” "
            "duplicates.",
            field="survivor",
        )
    survivor = db.session.get(Organisation, survivor_id)
    if survivor is None:
        raise Invalid("That organisation is not on the list any more.", field="survivor")
    members, resources = _counts(merged.id)
    return MergePlan(merged, survivor, members, resources)


# --- checks ----------------------------------------------------------------------------------


def _check_website(value: str) -> str:
    website = (value if isinstance(value, str) else "").strip()
    if not website:
        return ""
    if len(website) > WEBSITE_MAX:
        raise Invalid(f"A website address has at most {WEBSITE_MAX} characters.", field="website")
    try:
        parts = urlsplit(website)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in website)
        or not website.isprintable()
    ):
        raise Invalid(
            "A website address starts with http:// or https://, like https://example.org.",
            field="website",
        )
    return website


def _line(value: str, limit: int, field: str, what: str) -> str:
    text = rules.one_line(value)
    if len(text) > limit:
        raise Invalid(f"{what} has at most {limit} characters.", field=field)
    return text


def _checked(details: OrganisationDetails) -> OrganisationDetails:
    name = rules.one_line(details.name)
    if not name:
        raise Invalid("Give the organisation a name.", field="name")
    if len(name) > rules.ORGANISATION_MAX:
        raise Invalid(
            f"An organisation's name has at most {rules.ORGANISATION_MAX} characters.",
            field="name",
        )
    description = rules.without_controls(details.description).strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description has at most {DESCRIPTION_MAX:,} characters.", field="description"
        )
    return OrganisationDetails(
        name=name,
        kind=_line(details.kind, KIND_MAX, "kind", "A kind"),
        description=description,
        website=_check_website(details.website),
        region=_line(details.region, REGION_MAX, "region", "A region"),
    )


def _check_name_free(name: str, *, besides: int | None = None) -> None:
    # Compared in Python: SQLite's lower() knows only ASCII. The list has hundreds at most.
    folded = name.casefold()
    taken = db.session.execute(select(Organisation.id, Organisation.name))
    if any(n.casefold() == folded and i != besides for i, n in taken):
        raise Invalid("An organisation of that name is already listed.", field="name")


def _flush_or_name_taken() -> None:
    """Flush; a name taken by another admin a moment ago (the unique index) is the form's
    error, not a failure."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Invalid("An organisation of that name is already listed.", field="name") from exc


def kinds_in_use() -> list[str]:
    """The kinds organisations have now (suggested by the forms), by name."""
    found = db.session.scalars(select(Organisation.kind).where(Organisation.kind != "").distinct())
    return sorted(set(found), key=str.casefold)


# --- changes ---------------------------------------------------------------------------------


def add_organisation(actor: User, details: OrganisationDetails) -> Organisation:
    """Add an organisation to the list members choose from. Admins only."""
    require_admin(actor)
    details = _checked(details)
    _check_name_free(details.name)
    try:
        with db.session.begin_nested():
            org = create_organisation(**details.__dict__)
            db.session.flush()
    except IntegrityError as exc:
        raise Invalid("An organisation of that name is already listed.", field="name") from exc
    record(actor, "organisation.create", ("organisation", org.id), name=org.name)
    return org


def edit_organisation(actor: User, organisation_id, details: OrganisationDetails) -> Organisation:
    """Change an organisation's name and description. Admins only. Its address (slug) stays,
    so links to its page keep working."""
    org = access_organisation(actor, organisation_id)
    details = _checked(details)
    if details.name != org.name:
        _check_name_free(details.name, besides=org.id)
    changed = [f for f in EDITED_FIELDS if getattr(details, f) != getattr(org, f)]
    if not changed:
        return org
    old_name = org.name
    for name in changed:
        setattr(org, name, getattr(details, name))
    _flush_or_name_taken()
    if "name" in changed:
        _resources_changed(_resource_ids(org.id))
    record(
        actor,
        "organisation.edit",
        ("organisation", org.id),
        changed=changed,
        name=org.name,
        old_name=old_name if "name" in changed else "",
    )
    return org


def _references_to_organisations() -> list:
    """Every column of every table that holds an organisation's id (a foreign key to
    organisation.id): members, resources, and whatever is added later."""
    return [
        column
        for table in db.metadata.tables.values()
        for column in table.columns
        if any(fk.references(Organisation.__table__) for fk in column.foreign_keys)
    ]


def _resource_ids(organisation_id: int) -> list[int]:
    resource = _resource_model()
    return list(
        db.session.scalars(select(resource.id).where(resource.organisation_id == organisation_id))
    )


def _resources_changed(resource_ids: list[int]) -> None:
    """Resources are found in search by their organisation's name: their entries follow."""
    resource = _resource_model()
    if resource_ids:
        for each in db.session.scalars(select(resource).where(resource.id.in_(resource_ids))):
            signals.resource_changed.emit(resource=each)


def _move_proposed_details(merged_id: int, survivor_id: int) -> None:
    """Proposed new versions of resources keep their details as JSON (no foreign key):
    those that name the merged organisation name the survivor."""
    from ..resources.models import ResourceProposal

    # Matched in Python: JSON is queried differently on SQLite and PostgreSQL, and a merge
    # is rare.
    rows = db.session.execute(select(ResourceProposal.id, ResourceProposal.details))
    for proposal_id, details in list(rows):
        if isinstance(details, dict) and details.get("organisation_id") == merged_id:
            db.session.execute(
                update(ResourceProposal)
                .where(ResourceProposal.id == proposal_id)
                .values(details={**details, "organisation_id": survivor_id})
            )


def merge_organisations(actor: User, merged_id, survivor_id) -> Merged:
    """Merge a duplicate organisation into the one that stays: every member and every
    resource of it (every row naming it) moves to the survivor, and it is deleted. Admins
    only. Returns what moved."""
    plan = plan_merge(actor, merged_id, survivor_id)
    merged, survivor = plan.merged, plan.survivor
    # Lock both rows (PostgreSQL): a second admin's merge of either waits for this one.
    locked = db.session.scalars(
        select(Organisation.id)
        .where(Organisation.id.in_((merged.id, survivor.id)))
        .with_for_update()
    ).all()
    if len(locked) != 2:  # the other admin's merge took one of them away meanwhile
        raise Invalid("One of the two was merged a moment ago: look at the list again.")
    moved_resources = _resource_ids(merged.id)
    moved = {}
    for column in _references_to_organisations():
        result = db.session.execute(
            update(column.table).where(column == merged.id).values({column.name: survivor.id})
        )
        moved[column.table.name] = moved.get(column.table.name, 0) + result.rowcount
    _move_proposed_details(merged.id, survivor.id)
    members, resources = moved.get("user", 0), moved.get("resource", 0)
    merged_name, merged_slug, old_id = merged.name, merged.slug, merged.id
    record(
        actor,
        "organisation.merge",
        ("organisation", survivor.id),
        merged=merged_name,
        merged_id=old_id,
        merged_slug=merged_slug,
        survivor=survivor.name,
        members=members,
        resources=resources,
    )
    db.session.delete(merged)
    db.session.flush()
    # The rows were changed behind the session's back: what it holds of them is stale.
    db.session.expire_all()
    survivor = db.session.get(Organisation, plan.survivor.id)
    _resources_changed(moved_resources)
    signals.organisation_merged.emit(survivor=survivor, merged_id=old_id)
    return Merged(survivor, merged_name, members, resources)


def survivor_of(slug: str) -> Organisation | None:
    """The organisation a merged-away organisation's address now leads to (following later
    merges), from the merges' audit entries; None when the address was never merged away."""
    from ..moderation.models import AuditLog

    entries = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "organisation.merge")
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        )
    )

    def detail(entry) -> dict:
        return entry.detail if isinstance(entry.detail, dict) else {}

    found = next((e for e in entries if detail(e).get("merged_slug") == slug), None)
    seen = set()
    while found is not None and found.target_id not in seen:
        seen.add(found.target_id)
        survivor = db.session.get(Organisation, found.target_id)
        if survivor is not None:
            return survivor
        found = next((e for e in entries if detail(e).get("merged_id") == found.target_id), None)
    return None
