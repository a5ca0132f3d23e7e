"""Resource bank pages: browse, submit, a resource, edit, versions, curation, downloads."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import ratelimits, storage
from ..accounts.actions import organisation_choices
from ..auth import actor, is_safe_next, member_key, rate_limit
from ..communities import access as community_access
from ..communities import queries as community_queries
from ..db import atomic
from ..errors import DomainError, Invalid, NotFound, allowed
from ..extensions import limiter
from ..forms import ConfirmForm, attach_error
from ..ids import as_id
from ..moderation import flags
from ..threads import mentions
from ..threads.forms import ReplyForm
from ..uploads import Upload, check_upload, held, hold
from . import actions, bp, queries
from .forms import ArchiveForm, BrowseForm, ReasonForm, ResourceForm, VersionForm
from .models import Resource
from .rules import EARLIEST_YEAR

# A resource's downloads count each member (or address) once in this window, so reloading
# or scripting a download link does not push it up "most downloaded".
DOWNLOAD_WINDOW = "1 per 1 hour"


def _reader():
    return actor() if current_user.is_authenticated else None


# --- browsing -------------------------------------------------------------------------------


def _browse_form(reader, community=None) -> tuple[BrowseForm, queries.Filters]:
    form = BrowseForm(request.args)
    choices = queries.filter_choices(reader)
    form.community.choices = [("", "All communities")] + [
        (c.slug, c.name) for c, _role in community_queries.communities_for(reader)
    ]
    form.organisation.choices = [("", "All organisations")] + [
        (str(o.id), o.name) for o in choices["organisations"]
    ]
    form.year.choices = [("", "Any year")] + [(str(y), str(y)) for y in choices["years"]]
    form.tag.choices = [("", "Any tag")] + choices["tags"]
    filters = queries.Filters(
        kind=form.kind.data or None,
        organisation_id=as_id(form.organisation.data or ""),
        year=_year(form.year.data),
        tag=(form.tag.data or "")[:40] or None,
        archived=bool(form.archived.data),
        sort=form.sort.data or "newest",
    )
    if community is not None:
        filters.community_id = community.id
    elif form.community.data:
        chosen = dict(form.community.choices)
        if form.community.data not in chosen:
            raise NotFound("We could not find that community.")
        filters.community_id = next(
            c.id
            for c, _role in community_queries.communities_for(reader)
            if c.slug == form.community.data
        )
    return form, filters


@bp.get("/resources")
def index():
    reader = _reader()
    form, filters = _browse_form(reader)
    page = queries.browse(reader, filters, after=request.args.get("after"))
    return render_template(
        "resources/index.html", form=form, page=page, filters=filters,
        featured=queries.featured(reader) if _unfiltered(filters) else [],
        review_count=len(queries.review_queue(reader)),
    )  # fmt: skip


def _year(value: str | None) -> int | None:
    """A year from the query string, or None (no filter) when it is not a plausible one."""
    year = as_id(value or "")
    return year if year is not None and EARLIEST_YEAR <= year <= 9998 else None


def _unfiltered(filters: queries.Filters) -> bool:
    return not any(
        (filters.kind, filters.community_id, filters.organisation_id, filters.year, filters.tag,
         filters.archived)
    )  # fmt: skip


@bp.get("/c/<slug>/resources")
def community_resources(slug: str):
    """A community's Resources tab: featured first, then the rest with the same filters."""
    reader = _reader()
    community = community_access.access_community(reader, slug)
    form, filters = _browse_form(reader, community)
    page = queries.browse(reader, filters, after=request.args.get("after"))
    featured = []
    if _unfiltered(queries.Filters(**{**filters.__dict__, "community_id": None})):
        featured = queries.featured(reader, community_id=community.id, limit=20)
    return render_template(
        "resources/community.html", form=form, page=page, filters=filters, featured=featured,
        has_podcasts=bool(queries.podcast_episodes(community, limit=1)),
        **_community_header(reader, community),
    )  # fmt: skip


def _community_header(reader, community) -> dict:
    return {
        "reader": reader,
        "community": community,
        "membership": community_access.membership(reader, community),
        "can_manage": community_access.is_moderator(reader, community),
        "can_share": allowed(lambda: actions.check_can_submit_to(reader, community)),
        "moderators": community_queries.moderators_of(community),
        "action_form": ConfirmForm(formdata=None),
    }


@bp.get("/resources/review")
@login_required
def review():
    """The review queue moved to /mod (its filters kept); members without one get their own
    submissions, the other half of the old page."""
    from ..moderation.queue import may_moderate  # here: it imports accounts, which imports us

    if may_moderate(actor()):
        return redirect(url_for("moderation.index", **request.args))
    return redirect(url_for("resources.mine"))


@bp.get("/resources/mine")
@login_required
def mine():
    """The member's submissions not (yet) published, and their proposed new versions."""
    reader = actor()
    return render_template(
        "resources/mine.html",
        mine=queries.submitted_by(reader),
        proposals=queries.proposals_by(reader),
    )


# --- submitting and editing -----------------------------------------------------------------


def _fill_choices(form: ResourceForm, reader, resource: Resource | None = None) -> None:
    offered = [(c.slug, c.name) for c in actions.shareable_communities(reader)]
    if resource is not None:  # a curator editing keeps communities they do not belong to
        offered_slugs = {slug for slug, _ in offered}
        offered += [(c.slug, c.name) for c in resource.communities if c.slug not in offered_slugs]
    form.communities.choices = offered
    form.organisation.choices = [("", "Not given")] + [
        (str(o.id), o.name) for o in organisation_choices()
    ]


def _details(form: ResourceForm) -> actions.Details:
    return actions.Details(
        title=form.title.data or "",
        kind=form.kind.data or "",
        communities=list(form.communities.data or []),
        summary=form.summary.data or "",
        organisation_id=as_id(form.organisation.data or ""),
        published=form.published.data or "",
        licence=form.licence.data or "unknown",
        link=form.link.data or "",
        tags=form.tags.data or "",
    )


def _max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def _upload(form) -> Upload | None:
    """The file sent with the form (checked), or the one held from an earlier try."""
    sent = request.files.get("file")
    if sent is not None and sent.filename:
        return check_upload(sent.filename, sent.read(), max_bytes=_max_upload_bytes())
    if getattr(form, "discard_file", None) is not None and form.discard_file.data:
        return None
    return held(getattr(form, "held_file", None) and form.held_file.data, current_user.id)


def _form_problem(template: str, form, exc: DomainError | None, upload: Upload | None, **ctx):
    """Show the form again with its error, keeping everything entered, the file included."""
    if exc is not None:
        attach_error(form, exc)
    if upload is not None and hasattr(form, "held_file"):
        form.held_file.data = hold(upload, current_user.id)
        ctx["held"] = upload
    elif hasattr(form, "held_file"):
        form.held_file.data = ""
    status = exc.status if exc is not None else 400
    return render_template(template, form=form, **ctx), status


def _new_context(reader) -> dict:
    return {"skips_review": actions.skips_review(reader)}


@bp.route("/resources/new", methods=["GET", "POST"])
@login_required
@limiter.limit(rate_limit("upload_requests"), methods=["POST"], key_func=member_key)
def new():
    reader = actor()
    form = ResourceForm()
    _fill_choices(form, reader)
    if not form.is_submitted():
        wanted = request.args.get("community", "")
        if wanted in dict(form.communities.choices):
            form.communities.data = [wanted]
        return render_template("resources/new.html", form=form, **_new_context(reader))
    upload = None
    try:
        upload = _upload(form)
        if not form.validate():
            return _form_problem("resources/new.html", form, None, upload, **_new_context(reader))
        with atomic():
            resource = actions.submit_resource(
                reader, _details(form), upload=upload, note=form.note.data or ""
            )
            resource_id, status = resource.id, resource.status
    except DomainError as exc:
        if exc.status != 400:
            raise
        return _form_problem("resources/new.html", form, exc, upload, **_new_context(reader))
    if status == "published":
        flash("Your resource is published.", "success")
    else:
        flash(
            "Thank you. Your resource is waiting for a moderator's review; we will tell you "
            "when it is published.",
            "success",
        )
    return redirect(url_for("resources.show", resource_id=resource_id))


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit(resource_id: int):
    reader = actor()
    resource = actions.access_resource(reader, resource_id, need="edit")
    form = ResourceForm(obj=None) if request.method == "POST" else _prefilled(resource)
    _fill_choices(form, reader, resource)
    context = _edit_context(reader, resource)
    if not form.is_submitted():
        return render_template("resources/edit.html", form=form, **context)
    try:
        if not form.validate():
            return _form_problem("resources/edit.html", form, None, None, **context)
        with atomic():
            resource = actions.edit_resource(reader, resource_id, _details(form))
            status = resource.status
    except DomainError as exc:
        if exc.status != 400:
            raise
        return _form_problem("resources/edit.html", form, exc, None, **context)
    _flash_saved(context["sends_for_review"] and status == "pending")
    return redirect(url_for("resources.show", resource_id=resource_id))


def _edit_context(reader, resource: Resource, version_form=None) -> dict:
    return {
        "resource": resource,
        "version_form": version_form or VersionForm(formdata=None),
        "sends_for_review": actions.sends_for_review(reader, resource),
    }


def _flash_saved(sent_for_review: bool) -> None:
    if sent_for_review:
        flash("Your changes are saved and sent to the moderators for review.", "success")
    else:
        flash("Your changes are saved.", "success")


def _prefilled(resource: Resource) -> ResourceForm:
    return _prefilled_with(actions.current_details(resource))


def _prefilled_with(details: actions.Details) -> ResourceForm:
    tags = details.tags if isinstance(details.tags, str) else ", ".join(details.tags)
    return ResourceForm(
        formdata=None,
        title=details.title,
        kind=details.kind,
        communities=details.communities,
        summary=details.summary,
        organisation=str(details.organisation_id or ""),
        published=details.published,
        licence=details.licence,
        link=details.link or "",
        tags=tags,
    )


@bp.post("/resources/<int:resource_id>/versions")
@login_required
@limiter.limit(rate_limit("upload_requests"), key_func=member_key)
def add_version(resource_id: int):
    reader = actor()
    resource = actions.access_resource(reader, resource_id, need="edit")
    sends_for_review = actions.sends_for_review(reader, resource)
    form = VersionForm()
    try:
        if not form.validate():
            raise Invalid(form.note.errors[0] if form.note.errors else "Check the form.")
        upload = _upload(form)
        if upload is None:
            raise Invalid("Choose the file to upload.", field="file")
        with atomic():
            version = actions.add_version(reader, resource_id, upload, note=form.note.data or "")
            number = version.number
    except DomainError as exc:
        if exc.status != 400:
            raise
        edit_form = _prefilled(resource)
        _fill_choices(edit_form, reader, resource)
        attach_error(form, exc)
        context = _edit_context(reader, resource, form)
        return render_template("resources/edit.html", form=edit_form, **context), 400
    if sends_for_review:
        flash(f"Version {number} is uploaded and sent to the moderators for review.", "success")
    else:
        flash(f"Version {number} is uploaded.", "success")
    return redirect(url_for("resources.show", resource_id=resource_id))


# --- proposing a new version of a published resource ----------------------------------------


def _proposal_context(resource: Resource) -> dict:
    return {"resource": resource, "proposal": actions.open_proposal(resource)}


@bp.route("/resources/<int:resource_id>/propose", methods=["GET", "POST"])
@login_required
@limiter.limit(rate_limit("upload_requests"), methods=["POST"], key_func=member_key)
def propose(resource_id: int):
    """The submitter of a published resource proposes a new version: details and/or a file."""
    reader = actor()
    resource = actions.access_resource(reader, resource_id)
    actions.check_can_propose(reader, resource)
    context = _proposal_context(resource)
    form = ResourceForm() if request.method == "POST" else _proposal_form(resource, context)
    _fill_choices(form, reader, resource)
    if not form.is_submitted():
        return render_template("resources/propose.html", form=form, **context)
    upload = None
    try:
        upload = _upload(form)
        if not form.validate():
            return _form_problem("resources/propose.html", form, None, upload, **context)
        with atomic():
            actions.propose_version(
                reader, resource_id, _details(form), upload=upload, note=form.note.data or ""
            )
    except DomainError as exc:
        if exc.status != 400:
            raise
        return _form_problem("resources/propose.html", form, exc, upload, **context)
    flash(
        "Thank you. Your new version is waiting for a moderator's review; until it is "
        "approved, the resource stays as it was.",
        "success",
    )
    return redirect(url_for("resources.show", resource_id=resource_id))


def _proposal_form(resource: Resource, context: dict) -> ResourceForm:
    """The form filled with the open proposal's details (else the resource's)."""
    proposal = context["proposal"]
    details = actions.proposed_details(proposal) if proposal else actions.current_details(resource)
    form = _prefilled_with(details)
    if proposal is not None:
        form.note.data = proposal.note
    return form


_PROPOSAL_DONE = {
    "approve": "The new version is published and its proposer told.",
    "changes": "The proposer has been asked for changes.",
    "reject": "The new version is not accepted, and its proposer told why.",
}


@bp.post(
    "/resources/<int:resource_id>/proposals/<int:proposal_id>"
    "/<any(approve, changes, reject):change>"
)
@login_required
def decide_proposal(resource_id: int, proposal_id: int, change: str):
    """A curator approves a proposed version, asks for changes, or rejects it."""
    reader = actor()
    proposal = actions.access_proposal(reader, proposal_id, need="curate")
    if proposal.resource_id != resource_id:
        raise NotFound("We could not find that proposal.")
    form = ConfirmForm() if change == "approve" else ReasonForm()
    try:
        form.validate()
        reason = "" if change == "approve" else form.reason.data or ""
        with atomic():
            if change == "approve":
                actions.approve_proposal(reader, proposal_id)
            elif change == "changes":
                actions.request_proposal_changes(reader, proposal_id, reason=reason)
            else:
                actions.reject_proposal(reader, proposal_id, reason=reason)
    except DomainError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        return redirect(_back_to(resource_id))
    flash(_PROPOSAL_DONE[change], "success")
    return redirect(_back_to(resource_id))


def _back_to(resource_id: int) -> str:
    """Where a curation form returns: the page it was on (the /mod queue), else the resource."""
    target = request.form.get("next")
    return target if is_safe_next(target) else url_for("resources.show", resource_id=resource_id)


@bp.get("/resources/<int:resource_id>/proposals/<int:proposal_id>/download")
@login_required
def download_proposal(resource_id: int, proposal_id: int):
    """A proposed version's file: to its proposer and the resource's curators only."""
    proposal = actions.proposal_file(actor(), proposal_id)
    if proposal.resource_id != resource_id:
        raise NotFound("We could not find that proposal.")
    return storage.send(
        proposal.sha256, display_name=proposal.filename, content_type=proposal.content_type,
        inline=False,
    )  # fmt: skip


# --- a resource -----------------------------------------------------------------------------


@bp.get("/resources/<int:resource_id>")
def show(resource_id: int):
    reader = _reader()
    resource = actions.access_resource(reader, resource_id)
    return render_template("resources/show.html", **_page_context(reader, resource))


def _page_context(reader, resource: Resource, reply_form=None) -> dict:
    curator = actions.can_curate(reader, resource)
    thread = actions.discussion_of(reader, resource)
    reply_form = reply_form or ReplyForm(formdata=None)
    reply_form.fill_token()
    return {
        "resource": resource,
        "curator": curator,
        "can_edit": actions.can_edit(reader, resource),
        "is_submitter": actions.is_submitter(reader, resource),
        "can_propose": actions.can_propose(reader, resource),
        "proposal": _shown_proposal(reader, resource),
        "history": actions.history(resource),
        "thread": thread,
        "discussion": _discussion_posts(thread),
        "can_discuss": _can_discuss(reader, resource),
        "discussed_in": queries.discussed_in(reader, resource),
        "communities": [
            c for c in actions.live_communities(resource)
            if community_access.can_read(reader, c)
        ],
        "reply_form": reply_form,
        "action_form": ConfirmForm(formdata=None),
        "reason_form": ReasonForm(formdata=None),
        "archive_form": ArchiveForm(formdata=None),
        **_flag_state(reader, resource),
    }  # fmt: skip


def _flag_state(reader, resource: Resource) -> dict[str, bool]:
    """Whether the reader may flag the resource (one in view, not their own), or did."""
    if not resource.is_in_view:
        return {"may_flag": False, "flagged": False}
    may, mine = flags.flag_states(reader, "resource", [(resource.id, resource.submitter_id)])
    return {"may_flag": resource.id in may, "flagged": resource.id in mine}


def _shown_proposal(reader, resource: Resource):
    """The resource's open proposed version, with its changes, for whom may see it."""
    proposal = actions.open_proposal(resource)
    if proposal is None or not allowed(lambda: actions.access_proposal(reader, proposal.id)):
        return None
    return {"proposal": proposal, "changes": actions.proposed_changes(proposal)}


def _discussion_posts(thread, limit: int = 10):
    return [] if thread is None else queries.latest_posts(thread, limit)


def _can_discuss(reader, resource: Resource) -> bool:
    if not resource.is_open_to_readers:
        return False
    return actions.discussion_community(reader, resource) is not None


@bp.post("/resources/<int:resource_id>/discuss")
@login_required
def discuss(resource_id: int):
    reader = actor()
    resource = actions.access_resource(reader, resource_id)
    form = ReplyForm()
    if form.preview.data:
        context = _page_context(reader, resource, reply_form=form)
        context["preview"] = mentions.render(form.body.data or "")[0]
        return render_template("resources/show.html", **context)
    try:
        with atomic():
            post = actions.discuss(
                reader, resource_id, body=form.body.data or "",
                client_id=form.client_token.data,
            )  # fmt: skip
            post_id = post.id
    except DomainError as exc:
        if exc.status != 400:
            raise
        attach_error(form, exc)
        context = _page_context(reader, resource, reply_form=form)
        return render_template("resources/show.html", **context), 400
    return redirect(url_for("threads.post", post_id=post_id))


# --- curation -------------------------------------------------------------------------------

_DONE = {
    "approve": "The resource is published and its submitter told.",
    "feature": "The resource is featured.",
    "unfeature": "The resource is no longer featured.",
    "unarchive": "The resource is back in the listings.",
}


@bp.post("/resources/<int:resource_id>/<any(approve, feature, unfeature, unarchive):change>")
@login_required
def curate(resource_id: int, change: str):
    reader = actor()
    form = ConfirmForm()
    if not form.validate():
        raise Invalid("The form expired. Please try again.")
    run = {
        "approve": lambda: actions.approve_resource(reader, resource_id),
        "feature": lambda: actions.set_featured(reader, resource_id, True),
        "unfeature": lambda: actions.set_featured(reader, resource_id, False),
        "unarchive": lambda: actions.set_archived(reader, resource_id, False),
    }[change]
    with atomic():
        run()
    flash(_DONE[change], "success")
    return redirect(_back_to(resource_id))


@bp.post("/resources/<int:resource_id>/<any(reject, changes, archive):change>")
@login_required
def decide_with_reason(resource_id: int, change: str):
    """Decisions that carry a reason: reject, ask for changes, archive."""
    reader = actor()
    resource = actions.access_resource(reader, resource_id, need="curate")
    form = ArchiveForm() if change == "archive" else ReasonForm()
    try:
        form.validate()
        with atomic():
            if change == "reject":
                actions.reject_resource(reader, resource_id, reason=form.reason.data or "")
            elif change == "changes":
                actions.request_changes(reader, resource_id, reason=form.reason.data or "")
            else:
                actions.set_archived(reader, resource_id, True, reason=form.reason.data or "")
    except DomainError as exc:
        if exc.status != 400:
            raise
        attach_error(form, exc)
        context = _page_context(reader, resource)
        context["archive_form" if change == "archive" else "reason_form"] = form
        context["open_decision"] = change
        return render_template("resources/show.html", **context), 400
    done = {
        "reject": "The resource is rejected and its submitter told why.",
        "changes": "The submitter has been asked for changes.",
        "archive": "The resource is archived: kept, and out of the listings.",
    }
    flash(done[change], "success")
    return redirect(_back_to(resource_id))


# --- files ----------------------------------------------------------------------------------


def _starts_at_zero() -> bool:
    """A whole-file download, or its first part: what counts as one download (a player's
    later range requests while seeking do not)."""
    ranges = request.range
    return ranges is None or (len(ranges.ranges) > 0 and ranges.ranges[0][0] == 0)


def _is_new_download(resource: Resource, inline: bool) -> bool:
    """A whole download (not a player's range request or a revalidation), and the first by
    this member or address in DOWNLOAD_WINDOW."""
    if inline or request.method != "GET" or not _starts_at_zero():
        return False
    if request.if_none_match or request.if_modified_since:
        return False
    return ratelimits.hit(DOWNLOAD_WINDOW, "download", str(resource.id), member_key())


def _serve(resource_id: int, number: int | None, *, inline: bool):
    reader = _reader()
    resource, version = actions.version_for_download(reader, resource_id, number)
    if _is_new_download(resource, inline):
        with atomic():
            actions.count_download(resource)
    return storage.send(
        version.sha256, display_name=version.filename, content_type=version.content_type,
        inline=inline,
    )  # fmt: skip


@bp.get("/resources/<int:resource_id>/download")
def download(resource_id: int):
    """The latest version's file."""
    return _serve(resource_id, None, inline=False)


@bp.get("/resources/<int:resource_id>/versions/<int:number>/download")
def download_version(resource_id: int, number: int):
    return _serve(resource_id, number, inline=False)


@bp.get("/resources/<int:resource_id>/versions/<int:number>/play")
def play(resource_id: int, number: int):
    """An audio file (or an image) for the page's player: inline, with Range for seeking."""
    return _serve(resource_id, number, inline=True)
