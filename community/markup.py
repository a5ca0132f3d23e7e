"""Markdown to safe HTML: the one place user text becomes markup, and the only bleach import.

markdown-it-py parses CommonMark (plus tables and strikethrough) with raw HTML switched off;
bare URLs become links, and links that leave the site get `rel="nofollow ugc noopener"`; bleach
then keeps only an allowlist of tags and attributes.
"""

import re
from urllib.parse import urlsplit

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "img",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
EXTERNAL_REL = "nofollow ugc noopener"
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        if name == "href":
            return _allowed_href(value)
        return name == "title" or (name == "rel" and value == EXTERNAL_REL)
    if tag == "img":
        # Only images the site itself serves: an outside image would tell a third party who
        # read the post, and when.
        return name in {"alt", "title"} or (name == "src" and _is_local(value))
    if tag == "ol":
        return name == "start" and value.isdigit()
    if tag == "code":
        return name == "class" and bool(_LANGUAGE_CLASS.match(value))
    return False


def _allowed_href(url: str) -> bool:
    """Relative links, and absolute ones with an allowed scheme only.

    bleach's own protocol check lets through anything its URL parser does not see a scheme
    in (`tel:123` parses as a host and port); this check does not depend on that parser.
    """
    scheme, colon, _ = url.partition(":")
    if not colon or any(c in scheme for c in "/?#"):
        return True  # no scheme: a path, query or fragment on this site
    return scheme.lower() in ALLOWED_PROTOCOLS


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/") and "\\" not in url


def _is_external(href: str) -> bool:
    return not (href.startswith(("mailto:", "#")) or _is_local(href))


def _link_open(self, tokens, idx, options, env):
    token = tokens[idx]
    if _is_external(str(token.attrGet("href") or "")):
        token.attrSet("rel", EXTERNAL_REL)
    return self.renderToken(tokens, idx, options, env)


def build_parser() -> MarkdownIt:
    """The Markdown parser. Raw HTML stays off: a test fails if it is ever switched on."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("link_open", _link_open)
    return md


_parser = build_parser()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def render(source: str) -> str:
    """Render user Markdown to HTML that is safe to put in a page as it is."""
    if not source or not source.strip():
        return ""
    html = _parser.render(source)
    return _cleaner.clean(html).strip()


def safe(html: str | None) -> Markup:
    """Mark HTML that `render` produced as safe for templates (the only caller of Markup)."""
    return Markup(html or "")  # noqa: S704 (html comes from render(), which sanitises)


def plain_text(source: str, length: int = 280) -> str:
    """A Markdown source as one line of plain text, cut to `length` (a notification's or an
    email's excerpt: no markup, no raw Markdown)."""
    import html

    text = html.unescape(bleach.clean(render(source), tags=[], strip=True))
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
