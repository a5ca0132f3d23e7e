"""Site pages over HTTP: the public page, the footer, and the admins' editor (permissions,
preview, bad input, revisions, restore, delete)."""

import re
from html import unescape

import pytest

from community.db import atomic
from community.sitesettings import settings_for_update
from tests.pages.helpers import add_page, edit, html_of, page_at, revisions, signed_in


def form_values(html: str) -> dict[str, str]:
    """The page form's fields as shown: inputs' values, the textarea's text, the checkbox."""
    values = {}
    for name in ("title", "slug", "position", "based_on"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        if match:
            value = re.search(r'value="([^"]*)"', match.group(0))
            values[name] = unescape(value.group(1)) if value else ""
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    values["body"] = unescape(body.group(1)) if body else None
    footer = re.search(r'<input[^>]*name="in_footer"[^>]*>', html)
    values["in_footer"] = bool(footer and "checked" in footer.group(0))
    return values


def footer_of(html: str) -> str:
    return html.split('<footer class="site-footer">', 1)[1]


def set_contact(address: str) -> None:
    with atomic():
        settings_for_update().contact_email = address


FORM = {"title": "Code of conduct", "slug": "code-of-conduct", "body": "Be **kind**.",
        "in_footer": "y", "position": "4"}  # fmt: skip


# --- the public page and the footer ------------------------------------------------------------


def test_anyone_reads_a_page(client, communities):
    response = client.get("/pages/about")
    assert response.status_code == 200
    html = html_of(response)
    assert '<h1 id="page-heading">About Commons</h1>' in html
    assert "<strong>Take part in the communities.</strong>" in html
    assert "Edit this page" not in html
    assert client.get("/pages/no-such-page").status_code == 404


def test_the_footer_of_an_ordinary_page_links_the_footer_pages_in_order(client, admin, communities):
    add_page(admin, slug="code-of-conduct", title="Code of conduct", position=0)
    add_page(admin, slug="minutes", title="Minutes", in_footer=False)
    footer = footer_of(html_of(client.get("/c/procurement")))
    links = re.findall(r'<a href="/pages/([a-z-]+)"[^>]*>([^<]+)</a>', footer)
    assert links == [
        ("about", "About Commons"),
        ("code-of-conduct", "Code of conduct"),
        ("privacy", "Privacy"),
        ("terms", "Terms of use"),
        ("contact", "Contact"),
    ]
    assert "mailto:" not in footer  # no contact address set


def test_the_contact_address_is_in_the_footer_and_on_the_contact_page(client, communities):
    set_contact("admins@commons.example")
    footer = footer_of(html_of(client.get("/")))
    assert '<a href="mailto:admins@commons.example">admins@commons.example</a>' in footer
    contact = html_of(client.get("/pages/contact"))
    assert (
        "Write to the site's admins at "
        '<a href="mailto:admins@commons.example">admins@commons.example</a>.'
    ) in contact.split("<footer")[0]
    about = html_of(client.get("/pages/about")).split("<footer")[0]
    assert "mailto:" not in about


def test_without_a_contact_address_the_contact_page_says_so(client, browser, admin):
    html = html_of(client.get("/pages/contact")).split("<footer")[0]
    assert "The admins have not published a contact address yet." in html
    assert "Set the contact address in the" not in html
    html = html_of(signed_in(browser, admin).get("/pages/contact"))
    assert 'Set the contact address in the <a href="/admin/settings">site settings</a>' in html


def test_an_address_in_capitals_is_sent_on(client, communities):
    response = client.get("/pages/Privacy")
    assert (response.status_code, response.headers["Location"]) == (302, "/pages/privacy")
    assert client.get("/pages/PRIVACY-X").status_code == 404


def test_the_current_page_is_marked_in_the_footer(client, communities):
    footer = footer_of(html_of(client.get("/pages/terms")))
    assert '<a href="/pages/terms" aria-current="page">Terms of use</a>' in footer
    assert '<a href="/pages/privacy">Privacy</a>' in footer


def test_an_error_page_has_the_footer_too(client, communities):
    assert '<a href="/pages/privacy">' in footer_of(html_of(client.get("/pages/nope")))


def test_a_script_in_the_text_never_reaches_the_page(browser, admin):
    signed_in(browser, admin)
    body = "Hi <script>alert('owned')</script>\n\n<a href=\"javascript:alert(1)\">x</a>"
    response = browser.submit("/admin/pages/new", {**FORM, "body": body, "preview": "Preview"})
    assert response.status_code == 200
    assert "<script>alert" not in html_of(response).split("<textarea")[0]
    response = browser.submit("/admin/pages/new", {**FORM, "body": body})
    assert response.status_code == 302
    for url in ("/pages/code-of-conduct", "/admin/pages/code-of-conduct/revisions/1"):
        html = html_of(browser.get(url))
        assert "<script>alert" not in html
        assert 'href="javascript' not in html
        assert "&lt;script&gt;alert(" in html  # shown as text


# --- who may edit --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/pages",
        "/admin/pages/new",
        "/admin/pages/about/edit",
        "/admin/pages/about/revisions",
        "/admin/pages/about/revisions/1",
        "/admin/pages/about/delete",
    ],
)
def test_only_admins_open_the_editor(client, browser, member, url):
    assert client.get(url).headers["Location"].startswith("/auth/login")
    signed_in(browser, member)
    assert browser.get(url).status_code == 403


def test_a_member_cannot_save_restore_or_delete(browser, admin, member):
    edit(admin, "about", body="Second.")
    signed_in(browser, member)
    for url, data in (
        ("/admin/pages/new", FORM),
        ("/admin/pages/about/edit", {**FORM, "slug": "about"}),
        ("/admin/pages/about/revisions/1/restore", {}),
        ("/admin/pages/about/delete", {}),
    ):
        assert browser.submit("/auth/reset", data, action=url).status_code == 403, url
    page = page_at("about")
    assert (page.body, page.revision_count) == ("Second.", 2)
    assert page_at("code-of-conduct") is None


def test_the_admin_list_shows_every_page(browser, admin):
    add_page(admin, slug="minutes", title="Minutes", in_footer=False)
    edit(admin, "about", body="Again.")
    html = html_of(signed_in(browser, admin).get("/admin/pages"))
    assert '<a class="button" href="/admin/pages/new">New page</a>' in html
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S)
    assert len(rows) == 5
    about = next(r for r in rows if "About Commons" in r)
    assert "<code>/pages/about</code>" in about
    assert "Yes, position 0" in about
    assert "Ada Admin" in about
    assert ">2<span" in about  # revisions
    minutes = next(r for r in rows if "Minutes" in r)
    assert "<td>No</td>" in minutes
    privacy = next(r for r in rows if "Privacy" in r)
    assert "The seed step" in privacy


# --- new and edit: preview, bad input, saving ---------------------------------------------------


def test_preview_renders_without_saving_and_keeps_everything_typed(browser, admin):
    signed_in(browser, admin)
    data = {**FORM, "title": "Draft <title>", "body": "# Hello\n\nSome *text*."}
    data["preview"] = "Preview"
    response = browser.submit("/admin/pages/new", data)
    assert response.status_code == 200
    html = html_of(response)
    preview = html.split('id="preview-heading"', 1)[1]
    assert "<h1>Hello</h1>" in preview
    assert "<em>text</em>" in preview
    assert "Draft &lt;title&gt;" in preview
    assert form_values(html) == {
        "title": "Draft <title>",
        "slug": "code-of-conduct",
        "position": "4",
        "based_on": "",
        "body": "# Hello\n\nSome *text*.",
        "in_footer": True,
    }
    assert page_at("code-of-conduct") is None


def test_preview_of_an_edit_saves_nothing(browser, admin):
    signed_in(browser, admin)
    shown = form_values(html_of(browser.get("/admin/pages/terms/edit")))
    data = {**shown, "body": "Only a *draft*.", "preview": "Preview"}
    del data["in_footer"]  # unticked
    response = browser.submit("/admin/pages/terms/edit", data)
    assert response.status_code == 200
    html = html_of(response)
    assert "<em>draft</em>" in html
    assert form_values(html)["body"] == "Only a *draft*."
    assert form_values(html)["in_footer"] is False
    page = page_at("terms")
    assert (page.revision_count, page.in_footer) == (1, True)
    assert "Only a" not in page.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": "   "}, "A page needs some text."),
        ({"title": ""}, "A page needs a title."),
        ({"title": "t" * 121}, "A title has at most 120 characters."),
        ({"slug": "Bad slug!"}, "An address uses lower-case letters, digits and single hyphens"),
        ({"slug": "privacy"}, "Another page already has the address “privacy”."),
        ({"slug": "new"}, "“new” cannot be a page&#39;s address: choose another."),
        ({"position": "soon"}, "The position is a whole number from 0 to 999."),
    ],
)
def test_bad_input_is_a_400_with_the_message_and_the_form_kept(browser, admin, changes, message):
    signed_in(browser, admin)
    data = {**FORM, **changes}
    response = browser.submit("/admin/pages/new", data)
    assert response.status_code == 400
    html = html_of(response)
    assert message in html
    assert 'class="error-summary"' in html
    kept = form_values(html)
    assert kept["body"] == data["body"]
    assert (kept["title"], kept["slug"], kept["position"]) == (
        data["title"],
        data["slug"],
        data["position"],
    )
    assert kept["in_footer"] is True
    assert page_at("code-of-conduct") is None


def test_bad_input_on_an_edit_keeps_the_form_and_the_page(browser, admin):
    signed_in(browser, admin)
    shown = form_values(html_of(browser.get("/admin/pages/about/edit")))
    response = browser.submit(
        "/admin/pages/about/edit", {**shown, "in_footer": "y", "body": "", "title": "New title"}
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "A page needs some text." in html
    assert form_values(html)["title"] == "New title"
    assert page_at("about").title == "About Commons"


def test_an_admin_adds_a_page_and_sees_it(browser, admin):
    signed_in(browser, admin)
    response = browser.submit("/admin/pages/new", {**FORM, "slug": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/pages/code-of-conduct"
    html = html_of(browser.get("/pages/code-of-conduct"))
    assert "<p>Be <strong>kind</strong>.</p>" in html
    assert "The page is saved." in html
    assert '<a href="/pages/code-of-conduct" aria-current="page">Code of conduct</a>' in footer_of(
        html
    )
    assert revisions("code-of-conduct") == [(1, "Code of conduct", "Be **kind**.")]


def test_an_edit_saves_a_revision_and_an_old_address_is_sent_on(browser, client, admin):
    signed_in(browser, admin)
    shown = form_values(html_of(browser.get("/admin/pages/about/edit")))
    assert shown["based_on"] == "1"
    assert shown["in_footer"] is True
    response = browser.submit(
        "/admin/pages/about/edit",
        {**shown, "in_footer": "y", "slug": "about-us", "body": "We are the network."},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/pages/about-us"
    assert revisions("about-us")[-1] == (2, "About Commons", "We are the network.")
    moved = client.get("/pages/about")
    assert (moved.status_code, moved.headers["Location"]) == (302, "/pages/about-us")
    assert "We are the network." in html_of(client.get("/pages/about-us"))


def test_a_save_over_a_newer_revision_is_refused_and_keeps_the_text(browser, admin):
    signed_in(browser, admin)
    shown = form_values(html_of(browser.get("/admin/pages/about/edit")))
    edit(admin, "about", body="Saved meanwhile by another admin.")
    data = {**shown, "in_footer": "y", "body": "My own edit."}
    response = browser.submit("/admin/pages/about/edit", data)
    assert response.status_code == 409
    html = html_of(response)
    assert "Ada Admin saved this page while you were editing it" in html
    assert form_values(html)["body"] == "My own edit."
    assert form_values(html)["based_on"] == "2"
    assert page_at("about").body == "Saved meanwhile by another admin."
    again = browser.submit("/admin/pages/about/edit", {**data, "based_on": "2"})
    assert again.status_code == 302
    assert page_at("about").body == "My own edit."


# --- revisions, restore, delete ------------------------------------------------------------------


def test_the_revisions_list_and_one_revision_with_its_diff(browser, admin):
    slug = add_page_with_history(admin)
    signed_in(browser, admin)
    listing = html_of(browser.get(f"/admin/pages/{slug}/revisions"))
    numbers = re.findall(r">Revision (\d+)</a>", listing)
    assert numbers == ["3", "2", "1"]
    assert "(current)" in listing
    assert listing.count("Ada Admin") >= 3

    html = html_of(browser.get(f"/admin/pages/{slug}/revisions/1"))
    assert "Restore this revision" in html
    assert "<p>Line <em>one</em>.</p>" in html  # rendered as it read
    diff = html.split('id="diff-heading"', 1)[1].split('id="rendered-heading"')[0]
    removed = '<del><span class="visually-hidden">Removed: </span>− &lt;b&gt;bold&lt;/b&gt;</del>'
    assert removed in diff
    assert '<ins><span class="visually-hidden">Added: </span>+ A new line.</ins>' in diff
    assert "<b>" not in diff
    assert "Title: <del>Notes</del> (this revision) → <ins>Meeting notes</ins>" in diff

    current = html_of(browser.get(f"/admin/pages/{slug}/revisions/3"))
    assert "This revision is the page’s current text." in current
    assert "Restore this revision" not in current
    assert browser.get(f"/admin/pages/{slug}/revisions/9").status_code == 404


def add_page_with_history(admin) -> str:
    slug = add_page(admin, slug="notes", title="Notes", body="Line _one_.\n\n<b>bold</b>")
    edit(admin, slug, body="Line _one_.\n\nA new line.")
    edit(admin, slug, title="Meeting notes")
    return slug


def test_restoring_a_revision_by_its_button(browser, admin):
    slug = add_page_with_history(admin)
    signed_in(browser, admin)
    page = f"/admin/pages/{slug}/revisions/1"
    response = browser.submit(page, {}, action=f"{page}/restore")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{slug}"
    assert "Revision 1 is restored: it is now the page" in html_of(browser.get(f"/pages/{slug}"))
    assert revisions(slug)[-1] == (4, "Notes", "Line _one_.\n\n<b>bold</b>")
    assert page_at(slug).title == "Notes"


def test_deleting_an_added_page(browser, admin):
    add_page(admin)
    signed_in(browser, admin)
    confirm = html_of(browser.get("/admin/pages/code-of-conduct/delete"))
    assert "Delete “Code of conduct”?" in confirm
    assert "standard pages" not in confirm
    response = browser.submit("/admin/pages/code-of-conduct/delete", {})
    assert response.status_code == 302
    assert page_at("code-of-conduct") is None
    assert "is deleted" in html_of(browser.get(response.headers["Location"]))
    assert browser.get("/pages/code-of-conduct").status_code == 404


def test_deleting_a_standard_page_warns_first(browser, admin):
    signed_in(browser, admin)
    confirm = html_of(browser.get("/admin/pages/privacy/delete"))
    assert "This is one of the site’s standard pages." in confirm
    assert browser.submit("/admin/pages/privacy/delete", {}).status_code == 302
    assert page_at("privacy") is None
    footer = footer_of(html_of(browser.get("/")))
    assert "/pages/privacy" not in footer


def test_the_admin_sees_edit_links_on_the_page(browser, admin):
    html = html_of(signed_in(browser, admin).get("/pages/about"))
    assert '<a href="/admin/pages/about/edit">Edit this page</a>' in html
