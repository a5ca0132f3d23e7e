"""An announcement's text as an email shows it: the sanitised HTML with every link made
absolute and no images (an email loads nothing from outside), and a plain-text version of
the same, links written out."""

import html
import re
from html.parser import HTMLParser

from ..links import absolute_path

_HREF = re.compile(r'href="(/[^"]*)"')
_IMG = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r'alt="([^"]*)"')


def _absolute_href(match: re.Match) -> str:
    return f'href="{html.escape(absolute_path(html.unescape(match.group(1))), quote=True)}"'


def _image_as_text(match: re.Match) -> str:
    alt = _ALT.search(match.group(0))
    return f"[{alt.group(1)}]" if alt and alt.group(1) else ""


def mail_html(body_html: str) -> str:
    """`markup.render`'s HTML for an email: absolute links, images replaced by their text.
    (That HTML is bleach's output: attributes are always double-quoted.)"""
    return _IMG.sub(_image_as_text, _HREF.sub(_absolute_href, body_html or ""))


class _Text(HTMLParser):
    BLOCKS = {"p", "blockquote", "pre", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.lists: list[list] = []  # per open list: [ordered, next number]
        self.pre = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.BLOCKS:
            self.out.append("\n\n")
            self.pre = self.pre or tag == "pre"
        elif tag == "br":
            self.out.append("\n")
        elif tag in ("ul", "ol"):
            if not self.lists:
                self.out.append("\n")
            self.lists.append([tag == "ol", int(a.get("start") or 1)])
        elif tag == "li":
            ordered, number = self.lists[-1] if self.lists else (False, 1)
            indent = "  " * max(len(self.lists) - 1, 0)
            self.out.append(f"\n{indent}{f'{number}.' if ordered else '-'} ")
            if self.lists and ordered:
                self.lists[-1][1] += 1
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag == "a":
            href = a.get("href") or ""
            self.links.append(absolute_path(href) if href.startswith("/") else href or None)
        elif tag == "img" and a.get("alt"):
            self.out.append(f"[{a['alt']}]")

    def handle_endtag(self, tag):
        if tag == "pre":
            self.pre = False
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self.out.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("#"):
                self.out.append(f" <{href}>")

    def handle_data(self, data):
        if self.pre:
            self.out.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        if text == " " and (not self.out or self.out[-1].endswith(("\n", " "))):
            return  # the line breaks between tags
        self.out.append(text)


def mail_text(body_html: str) -> str:
    """The same text, plain: paragraphs apart, list items marked, each link's address after
    its words."""
    parser = _Text()
    parser.feed(body_html or "")
    parser.close()
    text = "".join(parser.out)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
