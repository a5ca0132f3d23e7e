"""Image uploads for posts (JSON for the composer, a page without JavaScript) and serving.

`GET /media/<sha256>` serves only hashes recorded as MediaFile, inline, through
`storage.send` (nosniff, `Content-Security-Policy: sandbox`, Range, ETag). Anyone with the
address may fetch the image: posts in public communities show them to visitors, and the
address is a 256-bit hash, not something to guess. Caching: the bytes behind an address
never change, so the response may be kept for a year without revalidation (`immutable`);
it stays `private`, out of shared caches, as storage.send has it, so a proxy never keeps an
image from a members-only community. A profile picture is not found while moderation hides
the profile, but by its member and the admins (actions.find_media).
"""

from flask import jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from .. import storage
from ..auth import actor, member_key, rate_limit
from ..db import atomic
from ..errors import DomainError, Invalid, NotFound
from ..extensions import limiter
from ..forms import attach_error
from . import actions, bp
from .forms import ACCEPT, ImageForm
from .models import MediaFile

CACHE_SECONDS = 365 * 24 * 60 * 60


def _limit_text() -> str:
    return f"{actions.max_image_bytes() // actions.MB} MB"


def _on_field(exc: DomainError, field: str) -> DomainError:
    """The upload check names its field "file"; the forms here name theirs otherwise."""
    if isinstance(exc, Invalid) and exc.field in (None, "file"):
        exc.field = field
    return exc


def _markdown(media: MediaFile, filename: str) -> tuple[str, str]:
    url = url_for("media.show", sha256=media.sha256)
    return url, actions.image_markdown(media, filename, url)


def _json_error(message: str, status: int):
    return jsonify(ok=False, error=message), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """A request over MAX_UPLOAD_MB never reaches the view: say so in the caller's terms."""
    message = f"That image is too large: the limit is {_limit_text()}."
    if request.endpoint == "media.upload":
        return _json_error(message, 413)
    form = ImageForm(formdata=None)
    form.image.errors = [message]
    return render_template("media/new.html", form=form, accept=ACCEPT, limit=_limit_text()), 413


@bp.post("/media")
@limiter.limit(rate_limit("upload_requests"), key_func=member_key)
def upload():
    """The composer's upload: one image in the field `image`, answered in JSON.

    Signed-in members only, like `login_required`, but answered with a JSON 401 rather than
    a redirect to the sign-in page, which a script cannot follow. CSRF is checked by the
    extension (the script sends the X-CSRFToken header).
    """
    if not current_user.is_authenticated:
        return _json_error("Please sign in to upload images.", 401)
    sent = request.files.get("image")
    if sent is None or not sent.filename:
        return _json_error("Choose an image to upload.", 400)
    try:
        with atomic():
            media = actions.save_image(
                actor(), sent.filename, actions.read_limited(sent.stream), purpose="post"
            )
            url, markdown = _markdown(media, sent.filename)
    except DomainError as exc:
        return _json_error(exc.message, exc.status)
    return jsonify(ok=True, url=url, markdown=markdown)


@bp.route("/media/new", methods=["GET", "POST"])
@login_required
@limiter.limit(rate_limit("upload_requests"), methods=["POST"], key_func=member_key)
def new():
    """Upload an image without JavaScript; the page shows the Markdown to copy."""
    actions.check_uploader(actor())
    form = ImageForm()
    context = {"accept": ACCEPT, "limit": _limit_text()}
    if not form.is_submitted():
        return render_template("media/new.html", form=form, **context)
    sent = form.image.data
    try:
        if not form.validate() or sent is None or not getattr(sent, "filename", ""):
            raise Invalid("Choose an image to upload.", field="image")
        with atomic():
            media = actions.save_image(
                actor(), sent.filename, actions.read_limited(sent.stream), purpose="post"
            )
            url, markdown = _markdown(media, sent.filename)
    except DomainError as exc:
        attach_error(form, _on_field(exc, "image"))
        return render_template("media/new.html", form=form, **context), exc.status
    return render_template(
        "media/new.html", form=ImageForm(formdata=None), url=url, markdown=markdown, **context
    )


@bp.get("/media/<sha256>")
def show(sha256: str):
    media = actions.find_media(sha256, current_user)
    if media is None:
        raise NotFound("We could not find that image.")
    response = storage.send(
        media.sha256,
        display_name=f"image-{media.sha256[:12]}.{media.extension}",
        content_type=media.content_type,
        inline=True,
    )
    response.cache_control.no_cache = None
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.immutable = True
    return response
