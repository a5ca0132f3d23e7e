"""The resource bank: submit, curate (approve, reject, ask for changes, feature, archive),
edit, add versions, download and discuss.

Who sees a resource: it must be in at least one community the reader may read. Published
and archived resources are then open to them; pending, changes-requested and rejected ones,
and any resource hidden by moderation (flagged, see flaggable.py), only to their submitter
and to the resource's curators (the moderators of any of its communities, and admins).
Everyone else gets "not found", never "forbidden".

Once published, its submitter changes it by proposing a new version (new details, a new
file, or both); the proposal goes through the same review, and only its proposer and the
resource's curators see it (and its file) until it is approved.
"""

from dataclasses import dataclass

from sqlalchemy import select, update

from .. import markup, signals, storage
from ..accounts.models import Organisation, User
from ..communities import access as community_access
from ..communities.models import Community
from ..communities.queries import communities_for
from ..db import insert_for_session, utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..ids import as_id
from ..moderation.audit import record
from ..rules import check_body, check_client_token, tag_slug
from ..threads import actions as thread_actions
from ..threads.models import Post, Thread
from ..uploads import Upload, count_upload
from . import rules
from .models import (
    KINDS,
    LICENCES,
    PROPOSAL_OPEN,
    VISIBLE_TO_READERS,
    Resource,
    ResourceDownloadDay,
    ResourceEvent,
    ResourceProposal,
    ResourceTag,
    ResourceVersion,
)

EDITABLE_BY_SUBMITTER = ("pending", "changes_requested")
MAX_COMMUNITIES = 7


@dataclass
class Details:
    """A resource's describing fields, as the submit and edit forms give them."""

    title: str
    kind: str
    communities: list[str]  # community slugs
    summary: str = ""
    organisation_id: int | None = None
    published: str = ""  # "2006" or "2006-09"
    licence: str = "unknown"
    link: str | None = None
    tags: str | list[str] = ""


# --- who may do what ------------------------------------------------------------------------


def _signed_in(user: User | None) -> bool:
    return user is not None and user.is_authenticated


def live_communities(resource: Resource) -> list[Community]:
    """The resource's communities that are not archived: where it is curated and announced
    (an archived community is read-only: its resources stay readable, see `can_view`)."""
    return [c for c in resource.communities if c.archived_at is None]


def home_community(resource: Resource) -> Community | None:
    """The community a notification or an audit entry about the resource belongs to."""
    communities = live_communities(resource)
    return communities[0] if communities else None


def can_curate(user: User | None, resource: Resource) -> bool:
    """Admins, and the moderators of any of the resource's communities."""
    if not _signed_in(user):
        return False
    if user.is_admin:
        return True
    return any(community_access.is_moderator(user, c) for c in live_communities(resource))


def skips_review(user: User | None) -> bool:
    """Whose submissions publish directly into any communities: the admins."""
    return _signed_in(user) and user.is_admin


def curates_all(user: User, communities: list[Community]) -> bool:
    """Admins, and moderators of every one of these communities: their own submissions
    publish directly (a moderator of one community never self-publishes into another)."""
    return skips_review(user) or all(community_access.is_moderator(user, c) for c in communities)


def is_submitter(user: User | None, resource: Resource) -> bool:
    return _signed_in(user) and resource.submitter_id == user.id


def can_view(user: User | None, resource: Resource) -> bool:
    if not any(community_access.can_read(user, c) for c in resource.communities):
        return False
    if resource.is_open_to_readers:
        return True
    return is_submitter(user, resource) or can_curate(user, resource)


def can_edit(user: User | None, resource: Resource) -> bool:
    """Curators always; the submitter while the resource waits for (or needs) changes."""
    if can_curate(user, resource):
        return True
    return (
        is_submitter(user, resource)
        and resource.status in EDITABLE_BY_SUBMITTER
        and user.suspended_at is None
    )


def access_resource(user: User | None, resource_id, *, need: str = "read") -> Resource:
    """Load a resource and check `need`: "read", "edit" or "curate". Not visible → 404."""
    resource_id = as_id(resource_id)
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource is None or not can_view(user, resource):
        raise NotFound("We could not find that resource.")
    if need == "edit" and not can_edit(user, resource):
        if resource.status not in EDITABLE_BY_SUBMITTER and is_submitter(user, resource):
            raise Forbidden("This resource is no longer open to changes by its submitter.")
        raise Forbidden("Only its submitter and its communities' moderators can change this.")
    if need == "curate" and not can_curate(user, resource):
        raise Forbidden("Only the moderators of this resource's communities can do that.")
    return resource


def check_can_submit_to(user: User | None, community: Community) -> None:
    """Raise Forbidden unless `user` may share resources into `community` (open): its
    members who may post there, and the admins (not suspended)."""
    community_access.check_open(community)
    if user is not None and user.is_admin and user.suspended_at is None:
        return
    community_access.check_can_post(user, community)


def shareable_communities(user: User) -> list[Community]:
    """The communities `user` may share resources into (`check_can_submit_to`), in order:
    what the form offers."""
    out = []
    for community, _role in communities_for(user):
        try:
            check_can_submit_to(user, community)
        except Forbidden:
            continue
        out.append(community)
    return out


def _communities(user: User, slugs: list[str], *, already: list[Community] = ()) -> list:
    """The chosen communities, each one the user may share into (kept ones are not
    re-checked: a curator may edit a resource in communities they do not belong to)."""
    wanted = list(dict.fromkeys(s for s in (slugs or []) if s))
    if not wanted:
        raise Invalid("Choose at least one community to share this with.", field="communities")
    if len(wanted) > MAX_COMMUNITIES:
        raise Invalid("Choose at most seven communities.", field="communities")
    kept = {c.slug: c for c in already}
    chosen = []
    for slug in wanted:
        if slug in kept:
            chosen.append(kept[slug])
            continue
        try:
            community = community_access.access_community(user, slug)
            check_can_submit_to(user, community)
        except (NotFound, Forbidden) as exc:
            raise Invalid(
                "You can share resources only into communities you belong to.",
                field="communities",
            ) from exc
        chosen.append(community)
    return sorted(chosen, key=lambda c: (c.position, c.name))


def _organisation(organisation_id) -> Organisation | None:
    if organisation_id in (None, "", 0):
        return None
    org = db.session.get(Organisation, as_id(organisation_id)) if as_id(organisation_id) else None
    if org is None:
        raise Invalid("Choose an organisation from the list.", field="organisation")
    return org


# --- submitting and editing -----------------------------------------------------------------


def _apply_details(resource: Resource, details: Details, communities: list[Community]) -> None:
    resource.title = rules.check_title(details.title)
    resource.sort_title = resource.title.lower()
    resource.summary = rules.check_summary(details.summary)
    resource.summary_html = markup.render(resource.summary)
    resource.kind = rules.check_kind(details.kind)
    resource.licence = rules.check_licence(details.licence)
    resource.link_url = rules.check_link(details.link)
    resource.published_on, resource.date_precision = rules.check_date(details.published)
    resource.organisation = _organisation(details.organisation_id)
    resource.communities = communities
    names = rules.check_tags(details.tags)
    by_slug = {t.slug: t for t in resource.tags}
    resource.tags = [
        by_slug.get(tag_slug(n)) or ResourceTag(name=n, slug=tag_slug(n)) for n in names
    ]
    for tag in resource.tags:  # a renamed tag keeps its row and takes the new spelling
        tag.name = next(n for n in names if tag_slug(n) == tag.slug)
    resource.updated_at = utcnow()


def _validate(details: Details) -> None:
    """Every field's rule, so that the first problem is reported before anything is stored."""
    rules.check_title(details.title)
    rules.check_kind(details.kind)
    rules.check_summary(details.summary)
    rules.check_date(details.published)
    rules.check_licence(details.licence)
    rules.check_link(details.link)
    rules.check_tags(details.tags)
    _organisation(details.organisation_id)


def submit_resource(
    author: User, details: Details, *, upload: Upload | None = None, note: str = ""
) -> Resource:
    """Share a resource: a file, a link, or both. Members of each chosen community.

    A curator of the chosen communities publishes directly; anyone else's submission waits
    for a moderator.
    """
    if not _signed_in(author):
        raise Forbidden("Please sign in first.")
    _validate(details)
    communities = _communities(author, details.communities)
    if upload is None and not rules.check_link(details.link):
        raise Invalid("Attach a file or give the web address where it can be found.", field="file")
    if upload is not None:
        count_upload(author.id)
    resource = Resource(submitter=author, status="pending", download_count=0, version_count=0)
    _apply_details(resource, details, communities)
    db.session.add(resource)
    db.session.flush()
    if upload is not None:
        _add_version(resource, author, upload, rules.check_note(note))
    if curates_all(author, communities):
        _publish(resource, author, "published")
    else:
        _log(resource, author, "submitted")
        signals.resource_submitted.emit(resource=resource, actor=author)
    return resource


def sends_for_review(user: User | None, resource: Resource) -> bool:
    """Whether the user's save sends the resource back to the moderators: its submitter's,
    once a moderator asked for changes."""
    return is_submitter(user, resource) and resource.status == "changes_requested"


def _resubmit_if_sent_back(resource: Resource, actor: User) -> bool:
    if not sends_for_review(actor, resource):
        return False
    resource.status = "pending"
    _log(resource, actor, "resubmitted")
    signals.resource_submitted.emit(resource=resource, actor=actor)
    return True


def edit_resource(actor: User, resource_id: int, details: Details) -> Resource:
    """Change a resource's description: its curators, and its submitter until it is
    published. The submitter's save of a resource sent back for changes sends it back for
    review."""
    resource = access_resource(actor, resource_id, need="edit")
    _validate(details)
    communities = _communities(actor, details.communities, already=resource.communities)
    if (
        not resource.versions
        and resource.availability_note == ""
        and not rules.check_link(details.link)
    ):
        raise Invalid("A resource without a file needs its web address.", field="link")
    _apply_details(resource, details, communities)
    if not _resubmit_if_sent_back(resource, actor):
        _log(resource, actor, "edited")
        if can_curate(actor, resource) and not is_submitter(actor, resource):
            _audit(actor, "resource.edit", resource)
    signals.resource_changed.emit(resource=resource)
    return resource


def add_version(actor: User, resource_id: int, upload: Upload, *, note: str = ""):
    """Upload a new file for a resource; earlier versions stay listed and downloadable.
    Its curators, and its submitter until it is published (a new file for a resource sent
    back for changes sends it back for review)."""
    resource = access_resource(actor, resource_id, need="edit")
    count_upload(actor.id)
    version = _add_version(resource, actor, upload, rules.check_note(note))
    _log(resource, actor, "new_version", f"Version {version.number}: {version.filename}")
    resource.updated_at = utcnow()
    _resubmit_if_sent_back(resource, actor)
    return version


@dataclass
class _File:
    """A stored file and what a version says of it."""

    sha256: str
    filename: str
    content_type: str
    file_kind: str
    size: int


def _stored(upload: Upload) -> _File:
    stored = storage.store(upload.data)
    return _File(stored.sha256, upload.display_name, upload.content_type, upload.kind, stored.size)


def _add_version(resource: Resource, actor: User, upload: Upload, note: str) -> ResourceVersion:
    return _record_version(resource, actor, _stored(upload), note)


def _record_version(
    resource: Resource, uploader: User | None, file: _File, note: str
) -> ResourceVersion:
    # The resource's row is the lock for its version numbers (see _lock).
    _lock(resource)
    resource.version_count += 1
    version = ResourceVersion(
        resource_id=resource.id,
        number=resource.version_count,
        sha256=file.sha256,
        filename=file.filename,
        content_type=file.content_type,
        file_kind=file.file_kind,
        size=file.size,
        note=note,
        uploaded_by=uploader,
    )
    db.session.add(version)
    db.session.flush()
    db.session.expire(resource, ["versions"])
    return version


def _lock(resource: Resource) -> None:
    """Take the resource's row lock on PostgreSQL and re-read its counters under it.
    (SQLite writes are serialised whole by atomic().)"""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            select(Resource)
            .where(Resource.id == resource.id)
            .with_for_update(of=Resource)
            .execution_options(populate_existing=True)
        )


# --- curation -------------------------------------------------------------------------------


def approve_resource(actor: User, resource_id: int) -> Resource:
    resource = access_resource(actor, resource_id, need="curate")
    if resource.status not in ("pending", "changes_requested", "rejected"):
        raise Invalid("Only a resource awaiting review can be approved.")
    _publish(resource, actor, "approved")
    _audit(actor, "resource.approve", resource)
    signals.resource_decided.emit(resource=resource, actor=actor, decision="approved", reason="")
    return resource


def reject_resource(actor: User, resource_id: int, *, reason: str) -> Resource:
    return _decide(
        actor, resource_id, reason, "rejected", allowed=("pending", "changes_requested"),
        refusal="Only a resource awaiting review can be rejected.",
    )  # fmt: skip


def request_changes(actor: User, resource_id: int, *, reason: str) -> Resource:
    return _decide(
        actor, resource_id, reason, "changes_requested", allowed=("pending",),
        refusal="Changes can be asked for only while a resource awaits review.",
    )  # fmt: skip


def _decide(actor, resource_id, reason, status: str, *, allowed, refusal: str) -> Resource:
    """A curator's decision with a reason, sent back to the submitter."""
    resource = access_resource(actor, resource_id, need="curate")
    reason = rules.check_reason(reason, required=True)
    if resource.status not in allowed:
        raise Invalid(refusal)
    resource.status = status
    _log(resource, actor, status, reason)
    audit = "resource.reject" if status == "rejected" else "resource.request_changes"
    _audit(actor, audit, resource, reason=reason)
    signals.resource_decided.emit(resource=resource, actor=actor, decision=status, reason=reason)
    return resource


def set_featured(actor: User, resource_id: int, featured: bool) -> Resource:
    resource = access_resource(actor, resource_id, need="curate")
    if featured and resource.status != "published":
        raise Invalid("Only a published resource can be featured.")
    if resource.featured != featured:
        resource.featured = featured
        _log(resource, actor, "featured" if featured else "unfeatured")
        _audit(actor, "resource.feature" if featured else "resource.unfeature", resource)
    return resource


def set_archived(actor: User, resource_id: int, archived: bool, *, reason: str = "") -> Resource:
    resource = access_resource(actor, resource_id, need="curate")
    reason = rules.check_reason(reason, required=False)
    if archived:
        if resource.status != "published":
            raise Invalid("Only a published resource can be archived.")
        resource.status, resource.featured = "archived", False
    else:
        if resource.status != "archived":
            raise Invalid("That resource is not archived.")
        resource.status = "published"
    _log(resource, actor, "archived" if archived else "unarchived", reason)
    _audit(actor, "resource.archive" if archived else "resource.unarchive", resource)
    signals.resource_changed.emit(resource=resource)
    if archived and resource.hidden_at is not None:  # removed (flaggable.py): flags wait no more
        signals.target_deleted.emit(kind="resource", id=resource.id, by=actor)
    return resource


def _audit(actor: User, action: str, resource: Resource, **detail) -> None:
    record(actor, action, ("resource", resource.id), community=home_community(resource),
           **detail)  # fmt: skip


def _publish(resource: Resource, actor: User | None, action: str) -> None:
    resource.status = "published"
    resource.published_at = resource.published_at or utcnow()
    _log(resource, actor, action)
    signals.resource_changed.emit(resource=resource)


def _log(resource: Resource, actor: User | None, action: str, reason: str = "") -> None:
    db.session.add(
        ResourceEvent(resource_id=resource.id, actor=actor, action=action, reason=reason)
    )


def history(resource: Resource) -> list[ResourceEvent]:
    return list(
        db.session.scalars(
            select(ResourceEvent)
            .where(ResourceEvent.resource_id == resource.id)
            .order_by(ResourceEvent.id.desc())
        )
    )


# --- proposed versions of a published resource ----------------------------------------------

PROPOSED_FIELDS = ("title", "kind", "summary", "organisation_id", "published", "licence",
                   "link", "tags")  # fmt: skip


def can_propose(user: User | None, resource: Resource) -> bool:
    """A published resource's submitter (not suspended) may propose a new version of it
    (not while it is hidden: moderators are deciding on it as it is)."""
    return is_submitter(user, resource) and resource.is_in_view and user.suspended_at is None


def check_can_propose(user: User | None, resource: Resource) -> None:
    if not can_propose(user, resource):
        raise Forbidden("Only its submitter can propose a new version of a published resource.")


def current_details(resource: Resource) -> Details:
    """The resource's describing fields as the forms give them."""
    return Details(
        title=resource.title,
        kind=resource.kind,
        communities=[c.slug for c in resource.communities],
        summary=resource.summary,
        organisation_id=resource.organisation_id,
        published=resource.date_value,
        licence=resource.licence,
        link=resource.link_url or "",
        tags=[t.name for t in resource.tags],
    )


def proposed_details(proposal: ResourceProposal) -> Details:
    """What the proposal would make of the resource's details (its communities stay)."""
    fields = {k: v for k, v in (proposal.details or {}).items() if k in PROPOSED_FIELDS}
    current = current_details(proposal.resource)
    return Details(**{**current.__dict__, **fields, "communities": current.communities})


_FIELD_LABELS = {
    "title": "Title",
    "kind": "Kind",
    "summary": "Summary",
    "organisation_id": "Produced by",
    "published": "Publication date",
    "licence": "Licence",
    "link": "Web address",
    "tags": "Tags",
}


def proposed_changes(proposal: ResourceProposal) -> list[tuple[str, str, str]]:
    """(field, now, proposed) for each detail the proposal changes, worded for people."""
    now = _stored_fields(proposal.resource)
    proposed = {**now, **{k: v for k, v in (proposal.details or {}).items() if k in now}}
    return [
        (label, _shown(name, now[name]), _shown(name, proposed[name]))
        for name, label in _FIELD_LABELS.items()
        if now[name] != proposed[name]
    ]


def _shown(name: str, value) -> str:
    if name == "kind":
        return KINDS.get(value, value)
    if name == "licence":
        return LICENCES.get(value, value)
    if name == "organisation_id":
        organisation = db.session.get(Organisation, value) if value else None
        return organisation.name if organisation else "Not given"
    if name == "tags":
        return ", ".join(value)
    return value or "Not given"


def _stored_fields(resource: Resource) -> dict:
    """The resource's fields as `_normalised` gives them (they were stored through the same
    rules), read without checking them again."""
    details = current_details(resource)
    return {name: getattr(details, name) for name in PROPOSED_FIELDS}


def _normalised(details: Details) -> dict:
    """The fields as stored, so that "nothing changed" compares like with like."""
    organisation = _organisation(details.organisation_id)
    when, precision = rules.check_date(details.published)
    published = "" if when is None else when.strftime("%Y-%m" if precision == "month" else "%Y")
    return {
        "title": rules.check_title(details.title),
        "kind": rules.check_kind(details.kind),
        "summary": rules.check_summary(details.summary),
        "organisation_id": organisation.id if organisation else None,
        "published": published,
        "licence": rules.check_licence(details.licence),
        "link": rules.check_link(details.link) or "",
        "tags": rules.check_tags(details.tags),
    }


def open_proposal(resource: Resource) -> ResourceProposal | None:
    """The resource's proposal that waits for review or for its proposer's changes."""
    return db.session.scalar(
        select(ResourceProposal)
        .where(
            ResourceProposal.resource_id == resource.id,
            ResourceProposal.status.in_(PROPOSAL_OPEN),
        )
        .order_by(ResourceProposal.id.desc())
        .limit(1)
    )


def propose_version(
    proposer: User,
    resource_id: int,
    details: Details,
    *,
    upload: Upload | None = None,
    note: str = "",
) -> ResourceProposal:
    """Propose a new version of one's published resource: edited details, a new file, or
    both. Its submitter. It waits for a moderator; saving again while it is open changes the
    same proposal and sends it (back) for review."""  # fmt: skip
    resource = access_resource(proposer, resource_id)
    check_can_propose(proposer, resource)
    _validate(details)
    fields = _normalised(details)
    note = rules.check_note(note)
    _lock(resource)
    proposal = open_proposal(resource)
    has_file = upload is not None or (proposal is not None and proposal.sha256 is not None)
    if not has_file and fields == _stored_fields(resource):
        raise Invalid("Change a detail or attach a new file to propose a new version.")
    needs_link = not (resource.versions or has_file or resource.availability_note)
    if needs_link and not fields["link"]:
        raise Invalid("A resource without a file needs its web address.", field="link")
    if proposal is None:
        proposal = ResourceProposal(resource=resource, proposer=proposer)
        db.session.add(proposal)
        action = "proposed"
    else:
        action = (
            "proposal_resubmitted" if proposal.status == "changes_requested" else "proposal_edited"
        )
    if upload is not None:
        count_upload(proposer.id)
        _attach(proposal, _stored(upload))
    proposal.details = fields
    proposal.note = note
    if action != "proposal_edited":
        proposal.status, proposal.submitted_at = "pending", utcnow()
    db.session.flush()
    _log(resource, proposer, action)
    if action != "proposal_edited":
        signals.proposal_sent.emit(proposal=proposal, actor=proposer)
    return proposal


def _attach(proposal: ResourceProposal, file: _File) -> None:
    proposal.sha256, proposal.filename = file.sha256, file.filename
    proposal.content_type, proposal.file_kind, proposal.size = (
        file.content_type, file.file_kind, file.size,
    )  # fmt: skip


def access_proposal(user: User | None, proposal_id, *, need: str = "read") -> ResourceProposal:
    """Load a proposal and check `need`: "read" (its proposer and the resource's curators)
    or "curate". Anyone else: not found."""
    proposal_id = as_id(proposal_id)
    proposal = db.session.get(ResourceProposal, proposal_id) if proposal_id else None
    if proposal is None:
        raise NotFound("We could not find that proposal.")
    resource = access_resource(user, proposal.resource_id)
    curator = can_curate(user, resource)
    if not curator and not (_signed_in(user) and proposal.proposer_id == user.id):
        raise NotFound("We could not find that proposal.")
    if need == "curate" and not curator:
        raise Forbidden("Only the moderators of this resource's communities can do that.")
    return proposal


def approve_proposal(actor: User, proposal_id: int) -> ResourceProposal:
    """The resource takes the proposed details, and the proposed file as its next version
    (earlier versions stay). Its curators."""
    proposal = _open_for_decision(
        actor, proposal_id, "Only a proposal awaiting review can be approved."
    )
    resource = proposal.resource
    details = proposed_details(proposal)
    _validate(details)
    _apply_details(resource, details, resource.communities)
    if proposal.sha256 is not None:
        file = _File(proposal.sha256, proposal.filename, proposal.content_type,
                     proposal.file_kind, proposal.size)  # fmt: skip
        version = _record_version(resource, proposal.proposer, file, proposal.note)
        _log(resource, actor, "new_version", f"Version {version.number}: {version.filename}")
    _close(proposal, actor, "approved", "")
    signals.resource_changed.emit(resource=resource)
    return proposal


def reject_proposal(actor: User, proposal_id: int, *, reason: str) -> ResourceProposal:
    """Turn a proposed version down, saying why; the resource stays as it is. Its curators."""
    reason = rules.check_reason(reason, required=True)
    proposal = _open_for_decision(
        actor, proposal_id, "Only a proposal awaiting review can be rejected."
    )
    return _close(proposal, actor, "rejected", reason)


def request_proposal_changes(actor: User, proposal_id: int, *, reason: str) -> ResourceProposal:
    """Send a proposed version back to its proposer with what to change. Its curators."""
    reason = rules.check_reason(reason, required=True)
    proposal = _open_for_decision(
        actor, proposal_id, "Changes can be asked for only while a proposal awaits review.",
        allowed=("pending",),
    )  # fmt: skip
    return _close(proposal, actor, "changes_requested", reason)


def _open_for_decision(actor, proposal_id, refusal: str, *, allowed=PROPOSAL_OPEN):
    proposal = access_proposal(actor, proposal_id, need="curate")
    _lock(proposal.resource)
    db.session.refresh(proposal)
    if proposal.status not in allowed:
        raise Invalid(refusal)
    return proposal


_PROPOSAL_AUDIT = {
    "approved": "resource.approve_proposal",
    "rejected": "resource.reject_proposal",
    "changes_requested": "resource.request_proposal_changes",
}


def _close(proposal: ResourceProposal, actor: User, status: str, reason: str):
    """Record a curator's decision on a proposal, and tell its proposer."""
    proposal.status, proposal.reason = status, reason
    proposal.decided_at = utcnow() if status != "changes_requested" else None
    resource = proposal.resource
    _log(resource, actor, f"proposal_{status}", reason)
    _audit(actor, _PROPOSAL_AUDIT[status], resource, **({"reason": reason} if reason else {}))
    signals.proposal_decided.emit(proposal=proposal, actor=actor, decision=status, reason=reason)
    return proposal


def proposal_file(user: User | None, proposal_id: int) -> ResourceProposal:
    """The proposal whose file to serve: to its proposer and the resource's curators."""
    proposal = access_proposal(user, proposal_id)
    if proposal.sha256 is None:
        raise NotFound("That proposal has no file.")
    return proposal


# --- downloads ------------------------------------------------------------------------------


def version_for_download(user: User | None, resource_id: int, number: int | None = None):
    """The resource and the version to serve (the latest when `number` is None)."""
    resource = access_resource(user, resource_id)
    versions = resource.versions
    if number is None:
        version = versions[0] if versions else None
    else:
        version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise NotFound("That resource has no such file.")
    return resource, version


def count_download(resource: Resource) -> None:
    # One atomic UPDATE: concurrent downloads all count.
    db.session.execute(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(download_count=Resource.download_count + 1)
        .execution_options(synchronize_session=False)
    )
    # And the day's count, for the network health figures: an upsert, so the first download
    # of the day and concurrent ones all count.
    db.session.execute(
        insert_for_session(ResourceDownloadDay)
        .values(resource_id=resource.id, day=utcnow().date(), count=1)
        .on_conflict_do_update(
            index_elements=["resource_id", "day"],
            set_={"count": ResourceDownloadDay.count + 1},
        )
    )


# --- discussion -----------------------------------------------------------------------------


def discuss(actor: User, resource_id: int, *, body: str, client_id: str | None = None):
    """Add to a resource's discussion: the first message starts its thread, later ones
    reply to it. Members of the thread's community (before it exists: of one of the
    resource's communities, public ones first). Returns the post."""
    resource = access_resource(actor, resource_id)
    if resource.hidden_at is not None:
        raise Forbidden("This resource is hidden while a moderator reviews it.")
    if resource.status not in VISIBLE_TO_READERS:
        raise Forbidden("A resource can be discussed once it is published.")
    body = check_body(body)
    client_id = check_client_token(client_id)
    _lock(resource)
    community = discussion_community(actor, resource)
    if community is None:
        raise Forbidden(f"Join {_joinable(actor, resource)} to discuss this resource.")
    thread = _existing_thread(resource)
    if thread is not None:
        return thread_actions.post_reply(actor, thread.id, body=body, client_token=client_id)
    thread = thread_actions.start_thread(
        actor, community.slug, title=resource.title, body=body, client_token=client_id
    )
    resource.thread_id = thread.id
    return db.session.get(Post, thread.last_post_id)


def _existing_thread(resource: Resource):
    """The resource's discussion thread, whoever may read it (None if it has none or it was
    deleted): a thread some readers cannot see is still the discussion, never replaced."""
    if resource.thread_id is None:
        return None
    thread = db.session.get(Thread, resource.thread_id)
    return None if thread is None or not thread.is_in_view else thread


def discussion_community(user: User | None, resource: Resource) -> Community | None:
    """Where the member would post: the thread's community when it exists, else the first
    of the resource's communities they belong to (public first); None if they cannot."""
    if user is None or not user.is_authenticated or user.suspended_at is not None:
        return None
    thread = _existing_thread(resource)
    if thread is not None:
        candidates = [thread.community]
    else:
        candidates = sorted(live_communities(resource), key=lambda c: not c.is_public)
    for community in candidates:
        if community.archived_at is None and community_access.membership(user, community):
            return community
    return None


def _joinable(user: User, resource: Resource) -> str:
    thread = _existing_thread(resource)
    if thread is not None:
        return thread.community.name
    return " or ".join(c.name for c in live_communities(resource))


def discussion_of(reader: User | None, resource: Resource):
    """The resource's discussion thread if the reader may read it, else None."""
    thread = _existing_thread(resource)
    if thread is None:
        return None
    try:
        return thread_actions.access_thread(reader, thread.id)
    except (NotFound, Forbidden):
        return None


# --- the archive ----------------------------------------------------------------------------


def publish_for_the_site(
    details: Details, communities: list[Community], *, submitter: User | None
) -> Resource:
    """A resource the site itself publishes in `communities` (an event's record, kept when
    its room closes): published at once, whoever `submitter` is now (demoted, suspended,
    or None when their account is gone); the caller chose the communities, so nobody's
    right to share into them is asked. The history names the system as publisher."""
    _validate(details)
    if not communities:
        raise Invalid("Choose at least one community to share this with.", field="communities")
    resource = Resource(submitter=submitter, status="pending", download_count=0, version_count=0)
    _apply_details(resource, details, sorted(communities, key=lambda c: (c.position, c.name)))
    db.session.add(resource)
    db.session.flush()
    _publish(resource, None, "published")
    return resource


def add_archive_entry(actor: User | None, details: Details, *, note: str) -> Resource:
    """A published entry for a past output whose document is not held (the seed's record).

    Used by `make demo` and by admins importing the network's history; no file, no link.
    """
    _validate(details)
    communities = [community_access.access_community(actor, s) for s in details.communities]
    resource = Resource(
        submitter=actor, status="pending", download_count=0, version_count=0,
        availability_note=note[:200],
    )  # fmt: skip
    _apply_details(resource, details, communities)
    db.session.add(resource)
    db.session.flush()
    _publish(resource, actor, "published")
    return resource
