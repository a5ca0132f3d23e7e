"""Signed one-click unsubscribe links (RFC 8058): what each email offers to stop.

A token names a member and a scope: "all" (all email but account mail), "digest" (their
digest), "digest:<community id>" (that community's part of it), "kind:<category>" (one
category of notification email; "kind:announcements" stops the admins' announcements).
It is signed with SECRET_KEY and never expires: a link in an old email must still work.
"""

from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..links import absolute_url
from ..sitesettings import site_name

SALT = "commons-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user, scope: str) -> str:
    return _serializer().dumps([user.id, scope])


def read_token(token: str) -> tuple[int, str] | None:
    """(member id, scope), or None for a token that is forged, altered or malformed."""
    try:
        user_id, scope = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(scope, str):
        return None
    return user_id, scope


def unsubscribe_url(user, scope: str) -> str:
    return absolute_url("digests.unsubscribe_page", token=token_for(user, scope))


def describe(scope: str) -> str:
    """What the link stops, for people (naming the community of a "digest:<id>" scope)."""
    from ..communities.models import Community
    from ..extensions import db
    from .choices import CATEGORIES

    kind, _, rest = scope.partition(":")
    if kind == "digest" and rest.isdigit():
        community = db.session.get(Community, int(rest))
        if community is not None:
            return f"the {community.name} part of your digest"
    if scope == "all":
        return f"all email from {site_name()} except messages about your account"
    if scope == "digest":
        return "your digest"
    if scope == "kind:announcements":
        return "announcement emails from the site's admins"
    if scope.startswith("kind:") and scope[5:] in CATEGORIES:
        return f"emails about: {CATEGORIES[scope[5:]].label.lower()}"
    return "these emails"


def list_headers(user, scope: str, list_name: str) -> dict[str, str]:
    """List-Id, List-Unsubscribe and List-Unsubscribe-Post (one-click) for an email."""
    host = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return {
        "List-Id": f"Commons {list_name} <{list_name}.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url(user, scope)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def apply(token: str):
    """Stop what the link names, at once: (member, scope, changed). Idempotent: a second
    use changes nothing. NotFound for a bad token, or a member or community gone."""
    from ..communities.models import Community
    from ..errors import NotFound
    from ..extensions import db
    from .choices import CATEGORIES, NEVER, delivery, set_deliveries, stop_all_mail
    from .models import DigestExclusion

    user, scope = resolve(token)
    if scope == "all":
        return user, scope, stop_all_mail(user)
    if scope == "digest":
        changed = user.digest_frequency != "off"
        user.digest_frequency = "off"
        return user, scope, changed
    kind, _, rest = scope.partition(":")
    if kind == "kind" and rest in CATEGORIES:
        changed = delivery(user, rest) != NEVER
        set_deliveries(user, {rest: NEVER})
        return user, scope, changed
    community = db.session.get(Community, int(rest)) if rest.isdigit() else None
    if kind != "digest" or community is None:
        raise NotFound()
    if db.session.get(DigestExclusion, (user.id, community.id)) is not None:
        return user, scope, False
    db.session.add(DigestExclusion(user_id=user.id, community_id=community.id))
    return user, scope, True


def resolve(token: str):
    """The member and scope a token names (NotFound when it names nothing)."""
    from ..accounts.models import User
    from ..errors import NotFound
    from ..extensions import db

    read = read_token(token)
    user = db.session.get(User, read[0]) if read else None
    if user is None:
        raise NotFound()
    return user, read[1]
