"""@mentions, written as `@**Display Name**` (or `@**Display Name|12**` when names clash).

The composer's autocomplete inserts these; names may contain spaces, so the stars mark
where a name ends, as in Zulip. A resolved mention becomes a link to the member's profile
before the Markdown is rendered; an unknown name stays as typed.
"""

import re

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db

MENTION = re.compile(r"@\*\*([^*|\n]{1,80}?)(?:\|(\d{1,10}))?\*\*")
MAX_MENTIONS = 20
# Code is shown as typed: no mentions inside fenced blocks or `inline code`.
CODE = re.compile(r"(?ms)^ {0,3}(```|~~~).*?(?:^ {0,3}\1[^\n]*$|\Z)|`[^`\n]+`")


def _outside_code(source: str, replace) -> str:
    """`replace` applied to the parts of `source` that are not code."""
    parts, end = [], 0
    for code in CODE.finditer(source):
        parts += [replace(source[end : code.start()]), code.group(0)]
        end = code.end()
    return "".join([*parts, replace(source[end:])])


def _candidates(source: str) -> list[tuple[str, int | None]]:
    found = []
    text: list[str] = []
    _outside_code(source, lambda part: text.append(part) or part)
    for match in MENTION.finditer("\n".join(text)):
        name, user_id = match.group(1).strip(), match.group(2)
        found.append((name, int(user_id) if user_id else None))
    return found[:MAX_MENTIONS]


def resolve(source: str) -> tuple[str, list[User]]:
    """Return the source with mentions turned into profile links, and the members mentioned."""
    wanted = _candidates(source)
    if not wanted:
        return source, []
    names = {name.lower() for name, _ in wanted}
    rows = db.session.scalars(select(User).where(User.sort_name.in_(names), User.is_listed))
    by_name: dict[str, list[User]] = {}
    for user in rows:
        by_name.setdefault(user.sort_name, []).append(user)
    mentioned: dict[int, User] = {}

    def link(match: re.Match) -> str:
        name, user_id = match.group(1).strip(), match.group(2)
        matches = by_name.get(name.lower(), [])
        if user_id:
            matches = [u for u in matches if u.id == int(user_id)]
        if len(matches) != 1:
            return match.group(0)
        user = matches[0]
        mentioned[user.id] = user
        label = user.display_name.replace("[", "").replace("]", "")
        return f"[@{label}](/u/{user.id})"

    linked = _outside_code(source, lambda part: MENTION.sub(link, part))
    return linked, list(mentioned.values())


def render(source: str) -> tuple[str, list[User]]:
    """A post's or message's HTML, its mentions resolved to profile links first, and the
    members mentioned: the one "resolve, then render" step of posts, chat messages and
    every preview of them."""
    from .. import markup

    linked, mentioned = resolve(source)
    return markup.render(linked), mentioned


def excerpt(source: str, length: int = 280) -> str:
    """The start of a post's or message's text as plain text (a notification's or an email's
    excerpt), its mentions read as "@Name"."""
    from ..markup import plain_text

    return plain_text(MENTION.sub(lambda m: "@" + m.group(1).strip(), source), length)
