"""markup.render: Markdown in, HTML that is safe to show out, whatever the member typed."""

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from community import markup
from community.markup import EXTERNAL_REL, build_parser, render

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
}
SAFE_SCHEMES = {"http", "https", "mailto"}

XSS = [
    # raw HTML, in every spelling
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<img src="x" onerror=\'alert("1")\'>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=https://evil.example/>",
    "<form action=https://evil.example><button>go</button></form>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="#" onclick="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "\x00<script>alert(1)</script>",
    # entities that decode to markup or a scheme
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    # inline links
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&colon;alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java\x00script:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](file:///etc/passwd)",
    "[x](tel:123)",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "[x](https://example.org 'x\" onclick=\"alert(1)')",
    '[x](http://example.org/"onmouseover=alert(1))',
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "[![x](javascript:alert(1))](javascript:alert(1))",
    # reference links
    "[x][r]\n\n[r]: javascript:alert(1)",
    '[x][r]\n\n[r]: <javascript:alert(1)> "t"',
    "[x][r]\n\n[r]: data:text/html,<script>alert(1)</script>",
    "[x][r]\n\n[r]: vbscript:msgbox(1)",
    "[x]\n\n[x]: JAVASCRIPT:alert(1)",
    '[x][r]\n\n[r]: https://example.org "t\\" onclick=\\"alert(1)"',
    # autolinks and bare URLs
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "javascript:alert(1)",
    "https://example.org/a?b=<script>alert(1)</script>",
    "www.example.org/<img src=x onerror=alert(1)>",
    # images
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,AAAA)",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    "![x](/\\evil.example/track.png)",
    '![x" onerror="alert(1)](/static/a.png)',
    # code, tables, lists
    "```\n<script>alert(1)</script>\n```",
    '```js" onclick="alert(1)\nx\n```',
    "`<script>alert(1)</script>`",
    "| a | b |\n|---|---|\n| <script>x</script> | [x](javascript:y) |",
    '1. a\n\n<ol start="1 onclick=alert(1)">',
    "~~<b onclick=alert(1)>x</b>~~",
]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Collect()
    parser.feed(html)
    parser.close()
    return parser.elements


def scheme(url: str) -> str | None:
    """The scheme a browser would see: entities decoded (by the parser), whitespace and
    control characters dropped, as the URL standard does."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else None


def assert_safe(html: str) -> None:
    lowered = html.lower()
    for tag in ("<script", "<svg", "<math", "<iframe", "<style", "<object", "<embed", "<form"):
        assert tag not in lowered, html
    for tag, attrs in elements(html):
        assert tag in markup.ALLOWED_TAGS, html
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), html
        assert not any(name.startswith("on") for name in attrs), html
        if "href" in attrs:
            assert scheme(attrs["href"]) in SAFE_SCHEMES | {None}, html
        if "src" in attrs:
            src = attrs["src"]
            assert src.startswith("/"), html
            assert not src.startswith("//"), html
            assert scheme(src) is None, html
        if "rel" in attrs:
            assert attrs["rel"] == EXTERNAL_REL, html


@pytest.mark.parametrize("source", XSS)
def test_known_xss_payloads_come_out_harmless(source):
    assert_safe(render(source))


@pytest.mark.parametrize("source", XSS)
def test_the_sanitiser_alone_would_hold_if_raw_html_got_through(source):
    """Defence in depth: even a parser with raw HTML on cannot get these past bleach."""
    unsafe_parser = MarkdownIt("commonmark", {"html": True})
    assert_safe(markup._cleaner.clean(unsafe_parser.render(source)))


def test_the_checks_above_catch_dangerous_html():
    """The safety check itself fails on what it is meant to catch."""
    for html in (
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<img src="x" onerror="alert(1)">',
        "<p style='color:red'>x</p>",
        '<img src="https://evil.example/t.png">',
        "<svg></svg>",
    ):
        with pytest.raises(AssertionError):
            assert_safe(html)


def test_raw_html_is_switched_off():
    """Fails if anyone turns raw HTML on in the parser."""
    assert build_parser().options["html"] is False
    assert markup._parser.options["html"] is False


def test_raw_html_is_shown_as_text():
    assert render("<b>hi</b> & <script>x</script>") == (
        "<p>&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;</p>"
    )


@pytest.mark.parametrize(
    "source",
    [
        "[site](https://example.org/page)",
        "<https://example.org/page>",
        "see https://example.org/page",
        "see www.example.org",
        "[site][ref]\n\n[ref]: https://example.org/page",
        "[rel](other/page)",
        "[protocol relative](//example.org/page)",
    ],
)
def test_links_that_leave_the_site_get_nofollow_ugc_noopener(source):
    [(tag, attrs)] = [e for e in elements(render(source)) if e[0] == "a"]
    assert attrs["rel"] == EXTERNAL_REL


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[finance](/c/finance)", "/c/finance"),
        ("[top](#top)", "#top"),
        ("[write](mailto:someone@example.org)", "mailto:someone@example.org"),
        ("someone@example.org", "mailto:someone@example.org"),
    ],
)
def test_links_on_the_site_and_mail_links_have_no_rel(source, href):
    [(tag, attrs)] = [e for e in elements(render(source)) if e[0] == "a"]
    assert attrs == {"href": href}


def test_markdown_still_works():
    html = render(
        "# Title\n\n**bold** _em_ ~~gone~~ `code`\n\n> quote\n\n3. three\n4. four\n\n"
        "| a |\n|---|\n| 1 |\n\n```python\nprint(1)\n```\n\n![logo](/static/logo.png)"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong> <em>em</em> <s>gone</s> <code>code</code>" in html
    assert "<blockquote>" in html
    assert '<ol start="3">' in html
    assert "<table>" in html
    assert '<code class="language-python">print(1)' in html
    assert '<img src="/static/logo.png" alt="logo">' in html


def test_outside_images_lose_their_source():
    assert render("![tracker](https://evil.example/t.png)") == '<p><img alt="tracker"></p>'


def test_empty_input_renders_nothing():
    assert render("") == ""
    assert render("  \n\t ") == ""
