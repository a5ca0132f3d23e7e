"""Thread pages: start, read, reply, edit, delete, react, moderate, watch, tag."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth import actor
from ..communities import access as community_access
from ..communities import queries as community_queries
from ..db import atomic
from ..errors import DomainError, Forbidden, NotFound, allowed
from ..extensions import db
from ..forms import ConfirmForm, attach_error
from ..ids import as_id
from ..moderation import flags
from . import actions, bp, mentions, queries
from .forms import (
    EditForm,
    MergeTagForm,
    MoveForm,
    NewThreadForm,
    RenameTagForm,
    ReplyForm,
    TagsForm,
)
from .models import REACTIONS, Post, Thread

WAITING_FOR_APPROVAL = (
    "Thank you. As you are new here, a moderator approves your first posts before others "
    "see them: you will be told when it is published."
)


def _reader():
    return actor() if current_user.is_authenticated else None


def _preview(body: str) -> str:
    return mentions.render(body or "")[0]


# --- starting a thread ----------------------------------------------------------------------


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str):
    community = community_access.access_community(actor(), slug, need="post")
    form = NewThreadForm()
    form.fill_token()
    preview = None
    if form.is_submitted() and form.preview.data:
        form.validate()
        preview = _preview(form.body.data)
        return render_template("threads/new.html", community=community, form=form, preview=preview)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("threads/new.html", community=community, form=form), status
    try:
        with atomic():
            thread = actions.start_thread(
                actor(), slug, title=form.title.data, body=form.body.data, tags=form.tags.data,
                client_token=form.client_token.data,
            )  # fmt: skip
            thread_id, held = thread.id, thread.hidden_at is not None
    except DomainError as exc:
        if exc.status not in (400, 429):  # a bad field, or a new member posting too fast
            raise
        attach_error(form, exc)
        return render_template("threads/new.html", community=community, form=form), exc.status
    if held:
        flash(WAITING_FOR_APPROVAL, "info")
    return redirect(url_for("threads.show", thread_id=thread_id))


# --- reading --------------------------------------------------------------------------------


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
def show(thread_id: int, slug: str | None = None):
    reader = _reader()
    try:
        thread = actions.access_thread(reader, thread_id)
        merged = thread.merged_into_id
    except NotFound:
        # A merged thread is gone for most readers: its address leads to where it went.
        merged = actions.merged_into(thread_id)
        if merged is None:
            raise
    if merged is not None:
        return redirect(url_for("threads.show", thread_id=merged), 301)
    # Out-of-range pages are clamped to the first or last (thread_page), never an error.
    page = request.args.get("page", 1, type=int)
    seen = queries.last_number_on_page(thread, page)
    if reader is not None and seen and actions.read_is_behind(reader, thread, seen):
        # Read markers are bookkeeping, like "last seen": recorded as the page is shown, and
        # before the posts are loaded (the commit would expire them, one reload per post).
        with atomic():
            actions.mark_read(actor(), thread_id, up_to=seen)
        thread = actions.access_thread(reader, thread_id)
    posts, pages = queries.thread_page(thread, page=page)
    return render_template("threads/show.html", **_thread_context(thread, posts, pages, reader))


def _thread_context(thread: Thread, posts: list[Post], pages: int, reader, reply_form=None):
    community = thread.community
    moderator = community_access.is_moderator(reader, community)
    page = queries.page_of_number(posts[0].number) if posts else 1
    reply_form = reply_form or ReplyForm(formdata=None)
    reply_form.fill_token()
    quote_id = as_id(request.args.get("quote", ""))
    if quote_id and not reply_form.body.data:
        reply_form.body.data = _quote(reader, quote_id, thread)
        if reply_form.body.data:
            reply_form.reply_to.data = str(quote_id)
    move_form = MoveForm(formdata=None)
    if moderator:
        move_form.community.choices = [
            (c.slug, c.name)
            for c, _role in community_queries.communities_for(reader)
            if c.id != community.id and community_access.is_moderator(reader, c)
        ]
    return {
        "thread": thread,
        "community": community,
        "posts": posts,
        "page": page,
        "pages": pages,
        "moderator": moderator,
        "can_reply": _can_reply(reader, thread),
        "replies_closed": thread.locked and not moderator,
        "can_tag": allowed(lambda: actions.check_can_tag(reader, thread)),
        "editable": _editable(reader, posts, moderator),
        **_flag_states(reader, posts),
        "can_react": _can_react(reader, thread),
        "watching": actions.is_watching(reader, thread),
        "reactions": queries.reactions_for(posts, reader),
        "reaction_kinds": REACTIONS,
        "replied_to": _replied_to(posts),
        "reply_form": reply_form,
        "action_form": ConfirmForm(formdata=None),
        "move_form": move_form,
        "tags_form": TagsForm(formdata=None, tags=", ".join(t.name for t in thread.tags)),
        "discusses": _discussed_resource(reader, thread),
    }


def _discussed_resource(reader, thread: Thread):
    """The resource this thread is the discussion of, when the reader may see it."""
    from ..resources import actions as resource_actions
    from ..resources.queries import resource_discussed_by

    resource = resource_discussed_by(thread)
    if resource is None or not resource_actions.can_view(reader, resource):
        return None
    return resource


def _editable(reader, posts: list[Post], moderator: bool) -> set[int]:
    """The ids of the posts on the page the reader may edit and delete (access_post's
    "edit" rule: a moderator any post; an author their own, on the same terms for each)."""
    live = [p for p in posts if p.is_in_view]
    if moderator:
        return {p.id for p in live}
    own = [p for p in live if reader is not None and p.author_id == reader.id]
    if not own or not allowed(lambda: actions.access_post(reader, own[0].id, need="edit")):
        return set()
    return {p.id for p in own}


def _flag_states(reader, posts: list[Post]) -> dict[str, set[int]]:
    """The posts on the page the reader may flag, and those they flagged already."""
    flaggable, flagged = flags.flag_states(
        reader, "post", [(p.id, p.author_id) for p in posts if p.is_in_view]
    )
    return {"flaggable": flaggable, "flagged": flagged}


def _can_reply(reader, thread: Thread) -> bool:
    return reader is not None and allowed(
        lambda: actions.access_thread(reader, thread.id, need="reply")
    )


def _can_react(reader, thread: Thread) -> bool:
    """Members who may post react, in locked threads too (a reaction is not a reply)."""
    if reader is None or thread.deleted_at is not None:
        return False
    try:
        community_access.check_can_post(reader, thread.community)
    except DomainError:
        return False
    return True


def _replied_to(posts: list[Post]) -> dict[int, Post]:
    ids = {p.reply_to_id for p in posts if p.reply_to_id}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}


def _quote(reader, post_id: int, thread: Thread) -> str:
    try:
        post = actions.access_post(reader, post_id)
    except DomainError:
        return ""
    if post.thread_id != thread.id or not post.is_in_view:
        return ""
    name = post.author.display_name if post.author else "a former member"
    quoted = "\n".join("> " + line for line in post.source.splitlines())
    return f"{name} wrote:\n{quoted}\n\n"


@bp.get("/p/<int:post_id>")
def post(post_id: int):
    """A post's permanent address: its thread page, at its anchor."""
    found = actions.access_post(_reader(), post_id)
    page = queries.page_of_number(found.number)
    target = url_for("threads.show", thread_id=found.thread_id, page=page if page > 1 else None)
    return redirect(f"{target}#p{found.id}")


@bp.get("/t/<int:thread_id>/since/<int:number>")
@login_required
def since(thread_id: int, number: int):
    """Posts after `number` as live-event payloads: an open page's catch-up after a reconnect."""
    thread = actions.access_thread(actor(), thread_id)
    posts = queries.posts_after(thread, number)
    return jsonify(posts=[actions.post_event(p) for p in posts if p.is_in_view])


@bp.get("/t/<int:thread_id>/unread")
@login_required
def first_unread(thread_id: int):
    thread = actions.access_thread(actor(), thread_id)
    number = actions.first_unread_number(actor(), thread)
    page = queries.page_of_number(number)
    target = url_for("threads.show", thread_id=thread.id, page=page if page > 1 else None)
    return redirect(f"{target}#n{number}")


# --- replying -------------------------------------------------------------------------------


@bp.post("/t/<int:thread_id>/reply")
@login_required
def reply(thread_id: int):
    form = ReplyForm()
    if form.preview.data:
        form.validate()
        return _reply_page(thread_id, form, preview=_preview(form.body.data), status=200)
    if not form.validate_on_submit():
        return _reply_page(thread_id, form)
    try:
        with atomic():
            new = actions.post_reply(
                actor(), thread_id, body=form.body.data,
                reply_to_id=as_id(form.reply_to.data or ""),
                client_token=form.client_token.data,
            )  # fmt: skip
            post_id, held = new.id, new.hidden_at is not None
    except DomainError as exc:
        # Locked, deleted, left the community…: say why, and keep what they wrote.
        attach_error(form, exc)
        return _reply_page(thread_id, form, status=exc.status)
    if held:
        flash(WAITING_FOR_APPROVAL, "info")
    return redirect(url_for("threads.post", post_id=post_id))


def _reply_page(thread_id: int, form: ReplyForm, *, preview: str | None = None, status=400):
    """The thread's last page again, with the reply form as the member left it; when the
    thread cannot be shown to them any more, a page that still holds their text."""
    reader = actor()
    try:
        thread = actions.access_thread(reader, thread_id)
    except NotFound as exc:
        message = form.form_errors[0] if form.form_errors else exc.message
        html = render_template("threads/unsent.html", form=form, message=message)
        return html, 404
    posts, pages = queries.thread_page(thread, page=10**9)
    context = _thread_context(thread, posts, pages, reader, reply_form=form)
    context["preview"] = preview
    return render_template("threads/show.html", **context), status


# --- editing, deleting, revisions -----------------------------------------------------------


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    try:
        found = actions.access_post(actor(), post_id, need="edit")
    except DomainError as exc:
        if request.method != "POST":
            raise
        return _edit_refused(exc, EditForm())
    form = EditForm(obj=found if request.method == "GET" else None)
    if request.method == "GET":
        form.body.data = found.source
    if form.is_submitted() and form.preview.data:
        form.validate()
        return render_template(
            "threads/edit.html", post=found, form=form, preview=_preview(form.body.data)
        )
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("threads/edit.html", post=found, form=form), status
    try:
        with atomic():
            actions.edit_post(actor(), post_id, body=form.body.data, reason=form.reason.data or "")
    except DomainError as exc:
        if exc.status != 400:
            return _edit_refused(exc, form)
        attach_error(form, exc)
        return render_template("threads/edit.html", post=found, form=form), 400
    flash("Your changes are saved.", "success")
    return redirect(url_for("threads.post", post_id=post_id))


def _edit_refused(exc: DomainError, form: EditForm):
    """The edit can no longer be saved (thread locked, access lost…): say why, keep the text."""
    html = render_template(
        "threads/unsent.html", form=form, message=exc.message, heading="Your edit was not saved"
    )
    return html, exc.status


@bp.post("/p/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    _require_form()
    with atomic():
        actions.delete_post(actor(), post_id)
    flash("The post is deleted.", "info")
    return redirect(url_for("threads.post", post_id=post_id))


@bp.post("/mod/held/<int:post_id>/<any(approve, decline):decision>")
@login_required
def decide_held(post_id: int, decision: str):
    """A moderator's decision on a new member's held post (from the /mod queue)."""
    _require_form()
    try:
        with atomic():
            if decision == "approve":
                actions.approve_held(actor(), post_id)
            else:
                actions.reject_held(actor(), post_id, reason=request.form.get("reason", ""))
    except DomainError as exc:
        if exc.status != 409:
            raise
        flash(exc.message, "warning")
    else:
        done = "published" if decision == "approve" else "declined; its author is told"
        flash(f"The post is {done}.", "success")
    return redirect(url_for("moderation.index"))


@bp.get("/p/<int:post_id>/revisions")
def revisions(post_id: int):
    found, rows = actions.revisions_of(_reader(), post_id)
    return render_template("threads/revisions.html", post=found, revisions=rows)


# --- reactions ------------------------------------------------------------------------------


@bp.post("/p/<int:post_id>/react")
@login_required
def react(post_id: int):
    _require_form()
    kind = request.form.get("kind", "")
    with atomic():
        counts = actions.toggle_reaction(actor(), post_id, kind)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=True, counts=counts)
    return redirect(url_for("threads.post", post_id=post_id))


@bp.get("/p/<int:post_id>/reactions")
def who_reacted(post_id: int):
    found = actions.access_post(_reader(), post_id)
    return render_template(
        "threads/reactions.html", post=found, reactors=queries.reactors(found.id),
        reaction_kinds=REACTIONS,
    )  # fmt: skip


# --- moderation, watching, tags -------------------------------------------------------------


def _require_form() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _moderation(thread_id: int, fn, message: str, **kwargs):
    _require_form()
    with atomic():
        fn(actor(), thread_id, **kwargs)
    flash(message, "success")
    return redirect(url_for("threads.show", thread_id=thread_id))


@bp.post("/t/<int:thread_id>/pin")
@login_required
def pin(thread_id: int):
    pinned = request.form.get("pinned") == "1"
    return _moderation(
        thread_id, actions.set_pinned, "Pinned." if pinned else "Unpinned.", pinned=pinned
    )


@bp.post("/t/<int:thread_id>/lock")
@login_required
def lock(thread_id: int):
    locked = request.form.get("locked") == "1"
    message = "The thread is locked." if locked else "The thread is open again."
    return _moderation(thread_id, actions.set_locked, message, locked=locked)


@bp.post("/t/<int:thread_id>/move")
@login_required
def move(thread_id: int):
    return _moderation(
        thread_id, actions.move_thread, "The thread has moved.",
        to_slug=request.form.get("community", ""),
    )  # fmt: skip


@bp.post("/t/<int:thread_id>/merge")
@login_required
def merge(thread_id: int):
    _require_form()
    with atomic():
        target = actions.merge_thread(actor(), thread_id, into=request.form.get("into", ""))
        target_id = target.id
    flash("The threads are merged: its posts are here now, after these.", "success")
    return redirect(url_for("threads.show", thread_id=target_id))


@bp.post("/t/<int:thread_id>/delete")
@login_required
def delete_thread(thread_id: int):
    _require_form()
    with atomic():
        thread = actions.delete_thread(actor(), thread_id)
        slug = thread.community.slug
    flash("The thread is deleted.", "info")
    return redirect(url_for("communities.show", slug=slug))


@bp.post("/t/<int:thread_id>/watch")
@login_required
def watch(thread_id: int):
    watching = request.form.get("watching") == "1"
    message = "You are watching this thread." if watching else "You stopped watching this thread."
    return _moderation(thread_id, actions.set_thread_watching, message, watching=watching)


@bp.post("/t/<int:thread_id>/tags")
@login_required
def set_tags(thread_id: int):
    form = TagsForm()
    if not form.validate_on_submit():
        flash(" ".join(form.tags.errors) or "Those tags could not be saved.", "error")
        return redirect(url_for("threads.show", thread_id=thread_id))
    with atomic():
        actions.set_tags(actor(), thread_id, tags=form.tags.data)
    flash("Tags saved.", "success")
    return redirect(url_for("threads.show", thread_id=thread_id))


@bp.post("/c/<slug>/watch")
@login_required
def watch_community(slug: str):
    _require_form()
    watching = request.form.get("watching") == "1"
    with atomic():
        actions.set_community_watching(actor(), slug, watching=watching)
    flash(
        "You are watching every new post here."
        if watching
        else "You stopped watching this community.",
        "success",
    )
    return redirect(url_for("communities.show", slug=slug))


@bp.post("/c/<slug>/read")
@login_required
def mark_community_read(slug: str):
    _require_form()
    with atomic():
        actions.mark_community_read(actor(), slug)
    flash("Everything here is marked read.", "success")
    return redirect(url_for("communities.show", slug=slug))


@bp.route("/c/<slug>/tags", methods=["GET", "POST"])
def tags(slug: str):
    reader = _reader()
    community = community_access.access_community(reader, slug)
    moderator = community_access.is_moderator(reader, community)
    rows = queries.tags_of(community)
    rename_form, merge_form = RenameTagForm(), MergeTagForm()
    choices = [(t.id, t.name) for t, _n in rows]
    merge_form.source.choices = merge_form.target.choices = choices
    status = 200
    if request.method == "POST":
        if not moderator:
            raise Forbidden("Only this community's moderators can change its tags.")
        try:
            status = _tag_change(slug, rename_form, merge_form)
        except DomainError as exc:
            if exc.status != 400:
                raise
            attach_error(rename_form if request.form.get("op") == "rename" else merge_form, exc)
            status = 400
        if status == 302:
            return redirect(url_for("threads.tags", slug=slug))
    return render_template(
        "threads/tags.html", community=community, rows=rows, moderator=moderator,
        rename_form=rename_form, merge_form=merge_form,
    ), status  # fmt: skip


def _tag_change(slug: str, rename_form, merge_form) -> int:
    if request.form.get("op") == "rename":
        if not rename_form.validate_on_submit():
            return 400
        with atomic():
            actions.rename_tag(
                actor(), slug, request.form.get("tag_id", 0, type=int), name=rename_form.name.data
            )
        flash("The tag is renamed.", "success")
        return 302
    if not merge_form.validate_on_submit():
        return 400
    with atomic():
        actions.merge_tags(
            actor(), slug, source_id=merge_form.source.data, target_id=merge_form.target.data
        )
    flash("The tags are merged.", "success")
    return 302


# --- helpers for the composer ---------------------------------------------------------------


@bp.post("/preview")
@login_required
def preview():
    _require_form()
    return jsonify(html=_preview(request.form.get("body", "")[:70000]))


@bp.get("/api/members")
@login_required
def member_suggestions():
    """Names for @mention autocomplete: `?q=` matches the start of names. Each comes with the
    member's organisation, so that four Unas can be told apart."""
    from sqlalchemy.orm import selectinload

    from ..accounts.models import User
    from ..accounts.queries import listed_members

    q = request.args.get("q", "").strip().lower()[:40]
    if not q:
        return jsonify(members=[])
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.session.scalars(
        listed_members()
        .where(User.sort_name.like(escaped + "%", escape="\\"))
        .options(selectinload(User.organisation))
        .order_by(User.sort_name)
        .limit(8)
    ).all()
    names = [u.sort_name for u in rows]
    return jsonify(members=[_suggestion(u, unique=names.count(u.sort_name) == 1) for u in rows])


def _suggestion(user, *, unique: bool) -> dict:
    token = user.display_name if unique else f"{user.display_name}|{user.id}"
    return {
        "id": user.id,
        "name": user.display_name,
        "organisation": user.organisation_name or "",
        "mention": f"@**{token}**",
    }
