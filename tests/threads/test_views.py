"""Thread pages over HTTP: what members, moderators and visitors see and can do, the forms'
messages, pagination, permissions on every URL, and query counts."""

import re

import pytest
from sqlalchemy import select

from community.communities import actions as community_actions
from community.db import atomic
from community.extensions import db
from community.threads import actions
from community.threads.models import Post, Thread
from tests.communities.helpers import count_statements
from tests.factories import make_moderator, make_user
from tests.threads.helpers import (
    audit,
    community,
    first_post_id,
    form_value,
    fresh,
    live,
    make_private,
    post,
    reply,
    send,
    signed_in,
    start,
    text_of,
    thread,
)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def posts_shown(html: str) -> list[int]:
    """The numbers of the posts on a thread page, in order."""
    return [int(n) for n in re.findall(r'<span id="n(\d+)" class="anchor">', html)]


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return text_of(match.group(0)) if match else ""


def many_posts(thread_id: int, user, n: int) -> None:
    """`n` replies in one transaction (quick set-up for long threads)."""
    with atomic():
        for i in range(n):
            actions.post_reply(live(user), thread_id, body=f"Reply number {i + 2}")


# --- starting a thread ----------------------------------------------------------------------


def test_a_member_starts_a_thread_from_the_form(app, alice):
    browser = signed_in(app, alice)
    page = html_of(browser.get("/c/procurement/new"))
    assert '<label for="title">Title</label>' in page
    assert '<label for="body">Message</label>' in page
    assert "Nothing to preview yet" not in page  # no empty preview before one is asked for
    token = form_value(page, "client_token")
    response = send(
        browser,
        "/c/procurement/new",
        {"title": "Lots or no lots?", "body": "We split *everything*.", "tags": "lots, councils",
         "client_token": token},
        token_page="/c/procurement/new",
    )  # fmt: skip
    assert response.status_code == 302
    thread_id = int(re.search(r"/t/(\d+)$", response.location).group(1))
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert "<h1>Lots or no lots?</h1>" in page
    assert "<p>We split <em>everything</em>.</p>" in page
    assert 'href="/c/procurement?tag=lots">#lots</a>' in page
    assert "Stop watching" in page  # the author watches what they started
    # The same form sent again (a double click) makes no second thread.
    again = send(
        browser, "/c/procurement/new",
        {"title": "Lots or no lots?", "body": "We split *everything*.", "client_token": token},
        token_page="/c/procurement/new",
    )  # fmt: skip
    assert again.location == response.location
    assert community("procurement").thread_count == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "", "body": "Text"}, "title", "Give the thread a title."),
        ({"title": "x" * 201, "body": "Text"}, "title", "A title has at most 200 characters."),
        ({"title": "Fine", "body": "   "}, "body", "Write something first: the message is empty."),
        (
            {"title": "Fine", "body": "x" * (64 * 1024 + 1)},
            "body",
            "That message is longer than 64 KB. Please split it up.",
        ),
        ({"title": "Fine", "body": "Text", "tags": "a,b,c,d,e,f"}, "tags", "Use at most 5 tags."),
    ],
)
def test_bad_thread_input_is_explained_on_the_form_and_kept(app, alice, fields, field, message):
    browser = signed_in(app, alice)
    response = send(browser, "/c/procurement/new", fields, token_page="/c/procurement/new")
    assert response.status_code == 400
    page = html_of(response)
    assert message in error_summary(page)
    assert f'id="{field}-error"' in page
    assert f'aria-describedby="{field}' in page
    for name, value in fields.items():
        assert form_value(page, name) == value
    assert community("procurement").thread_count == 0


def test_non_members_cannot_open_the_new_thread_form(app, stranger):
    browser = signed_in(app, stranger)
    response = browser.get("/c/procurement/new")
    assert response.status_code == 403
    assert "Join Procurement to take part." in html_of(response)
    assert browser.get("/c/no-such/new").status_code == 404


def test_previewing_a_new_thread_keeps_everything(app, alice):
    browser = signed_in(app, alice)
    response = send(
        browser, "/c/procurement/new",
        {"title": "Draft", "body": "Some **bold** idea", "tags": "ideas", "preview": "Preview"},
        token_page="/c/procurement/new",
    )  # fmt: skip
    assert response.status_code == 200
    page = html_of(response)
    assert re.search(r'<section class="preview"[^>]*data-preview>', page)
    assert "<p>Some <strong>bold</strong> idea</p>" in page
    assert (form_value(page, "title"), form_value(page, "body")) == ("Draft", "Some **bold** idea")
    assert form_value(page, "tags") == "ideas"
    assert community("procurement").thread_count == 0


# --- reading: the thread page and its pages -------------------------------------------------


def test_a_thread_page_shows_posts_to_visitors_with_a_way_in(app, client, alice):
    thread_id = start(alice, title="Open to all", body="Hello *world*")
    page = html_of(client.get(f"/t/{thread_id}"))
    assert "<h1>Open to all</h1>" in page
    assert "<p>Hello <em>world</em></p>" in page
    assert f'href="/auth/login?next=/t/{thread_id}">Sign in</a> to reply' in page
    assert "Nothing to preview yet" not in page
    assert 'name="body"' not in page  # no composer for visitors


def test_long_threads_page_by_post_number_without_offset(app, alice, bob):
    thread_id = start(alice)
    many_posts(thread_id, alice, 44)  # 45 posts: pages of 20, 20 and 5
    browser = signed_in(app, bob)
    with count_statements() as statements:
        first = html_of(browser.get(f"/t/{thread_id}"))
    assert not [s for s in statements if "OFFSET" in s.upper()]
    assert posts_shown(first) == list(range(1, 21))
    assert posts_shown(html_of(browser.get(f"/t/{thread_id}?page=2"))) == list(range(21, 41))
    last = html_of(browser.get(f"/t/{thread_id}?page=3"))
    assert posts_shown(last) == list(range(41, 46))
    assert 'aria-current="page">3</span>' in last
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    assert f'href="/t/{thread_id}?page=2" rel="next"' in first
    # Past the end, before the start, or nonsense: clamped, never an error.
    for page_arg, expected in [("999", 41), (str(10**40), 41), ("0", 1), ("-3", 1), ("x", 1)]:
        response = browser.get(f"/t/{thread_id}?page={page_arg}")
        assert response.status_code == 200
        assert posts_shown(html_of(response))[0] == expected
    # The slug in the address is decoration: any slug, or none, shows the thread.
    assert posts_shown(html_of(browser.get(f"/t/{thread_id}/social-value-in-tenders"))) == list(
        range(1, 21)
    )
    assert browser.get(f"/t/{thread_id}/anything-else").status_code == 200


def test_a_post_address_leads_to_its_page_and_anchor(app, client, alice):
    thread_id = start(alice)
    many_posts(thread_id, alice, 44)
    fresh()
    ids = dict(
        db.session.execute(select(Post.number, Post.id).where(Post.thread_id == thread_id)).all()
    )
    assert client.get(f"/p/{ids[1]}").location == f"/t/{thread_id}#p{ids[1]}"
    assert client.get(f"/p/{ids[20]}").location == f"/t/{thread_id}#p{ids[20]}"
    assert client.get(f"/p/{ids[21]}").location == f"/t/{thread_id}?page=2#p{ids[21]}"
    assert client.get(f"/p/{ids[45]}").location == f"/t/{thread_id}?page=3#p{ids[45]}"
    page = html_of(client.get(f"/t/{thread_id}?page=3"))
    assert f'id="p{ids[45]}"' in page


def test_unread_jumps_to_the_first_post_not_yet_seen(app, alice, bob):
    thread_id = start(alice)
    many_posts(thread_id, alice, 24)  # 25 posts
    browser = signed_in(app, bob)
    assert browser.get(f"/t/{thread_id}/unread").location == f"/t/{thread_id}#n1"
    browser.get(f"/t/{thread_id}")  # reads posts 1-20
    assert browser.get(f"/t/{thread_id}/unread").location == f"/t/{thread_id}?page=2#n21"
    browser.get(f"/t/{thread_id}?page=2")
    assert browser.get(f"/t/{thread_id}/unread").location == f"/t/{thread_id}?page=2#n25"
    reply(alice, thread_id, "One more")
    assert browser.get(f"/t/{thread_id}/unread").location == f"/t/{thread_id}?page=2#n26"


# --- replying, quoting, previewing ----------------------------------------------------------


def test_a_reply_lands_on_its_own_post(app, alice, bob):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert '<label for="body">Your reply</label>' in page
    response = send(
        browser, f"/t/{thread_id}/reply",
        {"body": "Count me in", "client_token": form_value(page, "client_token")},
    )  # fmt: skip
    fresh()
    new_id = db.session.scalar(select(Thread.last_post_id).where(Thread.id == thread_id))
    assert response.status_code == 302
    assert response.location == f"/p/{new_id}"
    assert browser.get(f"/p/{new_id}").location == f"/t/{thread_id}#p{new_id}"
    assert "<p>Count me in</p>" in html_of(browser.get(f"/t/{thread_id}"))


def test_a_double_submitted_reply_makes_one_post(app, alice, bob):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    token = form_value(html_of(browser.get(f"/t/{thread_id}")), "client_token")
    data = {"body": "Only once please", "client_token": token}
    first = send(browser, f"/t/{thread_id}/reply", data)
    second = send(browser, f"/t/{thread_id}/reply", data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert thread(thread_id).post_count == 2
    assert community("procurement").post_count == 2


def test_each_rendering_of_the_form_has_a_fresh_token(app, alice, bob):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    one = form_value(html_of(browser.get(f"/t/{thread_id}")), "client_token")
    two = form_value(html_of(browser.get(f"/t/{thread_id}")), "client_token")
    assert one
    assert two
    assert one != two


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something first: the message is empty."),
        ("  \n  ", "Write something first: the message is empty."),
        ("é" * 40000, "That message is longer than 64 KB. Please split it up."),
    ],
)
def test_a_bad_reply_is_explained_and_its_text_kept(app, alice, bob, body, message):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    response = send(browser, f"/t/{thread_id}/reply", {"body": body})
    assert response.status_code == 400
    page = html_of(response)
    assert message in error_summary(page)
    assert form_value(page, "body") == body.replace("\r\n", "\n")
    assert thread(thread_id).post_count == 1


def test_quoting_prefills_the_reply_and_records_what_it_answers(app, alice, bob):
    thread_id = start(alice, body="Line one\nLine two")
    first = first_post_id(thread_id)
    browser = signed_in(app, bob)
    page = html_of(browser.get(f"/t/{thread_id}?quote={first}"))
    assert form_value(page, "body") == "Alice Author wrote:\n> Line one\n> Line two\n\n"
    assert form_value(page, "reply_to") == str(first)
    response = send(
        browser, f"/t/{thread_id}/reply",
        {"body": form_value(page, "body") + "Agreed.", "reply_to": str(first)},
    )  # fmt: skip
    new_id = int(response.location.rsplit("/", 1)[1])
    assert post(new_id).reply_to_id == first
    assert "<blockquote>" in post(new_id).html
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert f'in reply to <a href="/p/{first}">#1</a>' in page
    # Quoting nothing sensible leaves the form empty, never an error.
    for bad in ("abc", "-1", "0", str(2**40), "999999"):
        response = browser.get(f"/t/{thread_id}?quote={bad}")
        assert response.status_code == 200
        assert form_value(html_of(response), "body") == ""
        assert form_value(html_of(response), "reply_to") == ""
    # A reply_to that is not a post of this thread is dropped.
    response = send(browser, f"/t/{thread_id}/reply", {"body": "x", "reply_to": "12345678901"})
    assert post(int(response.location.rsplit("/", 1)[1])).reply_to_id is None


def test_the_quote_link_keeps_the_page(app, alice, bob):
    thread_id = start(alice)
    many_posts(thread_id, alice, 24)
    browser = signed_in(app, bob)
    page = html_of(browser.get(f"/t/{thread_id}?page=2"))
    fresh()
    post_21 = db.session.scalar(
        select(Post.id).where(Post.thread_id == thread_id, Post.number == 21)
    )
    assert f'href="/t/{thread_id}?quote={post_21}&amp;page=2#reply"' in page


def test_the_preview_button_works_without_javascript(app, alice, bob):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    response = send(
        browser, f"/t/{thread_id}/reply", {"body": "~~old~~ *new* @**Alice Author**",
                                           "preview": "Preview"},
    )  # fmt: skip
    assert response.status_code == 200
    page = html_of(response)
    preview = re.search(r'<section class="preview"[^>]*data-preview>(.*?)</section>', page, re.S)
    assert preview, "the preview is shown"
    assert "<s>old</s> <em>new</em>" in preview.group(1)
    assert f'<a href="/u/{alice.id}">@Alice Author</a>' in preview.group(1)
    assert form_value(page, "body") == "~~old~~ *new* @**Alice Author**"
    assert thread(thread_id).post_count == 1  # nothing posted


def test_preview_json_renders_safely(app, alice):
    browser = signed_in(app, alice)
    response = send(browser, "/preview", {"body": "**hi** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>hi</strong>" in html
    assert "<script>" not in html
    assert send(browser, "/preview", {"body": ""}).get_json() == {"html": ""}
    anonymous = app.test_client().post("/preview", data={"body": "x"})
    assert anonymous.status_code in (302, 400)  # sign in first (or no CSRF token)


# --- locked and deleted threads -------------------------------------------------------------


def test_a_locked_thread_says_so_and_keeps_a_refused_reply(app, alice, bob, mod):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    token = form_value(html_of(browser.get(f"/t/{thread_id}")), "client_token")
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=True)
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert "Replies are closed" in page
    assert "Locked" in page
    assert 'name="body"' not in page
    response = send(
        browser, f"/t/{thread_id}/reply", {"body": "My careful answer", "client_token": token}
    )
    assert response.status_code == 403
    page = html_of(response)
    assert "This thread is locked: it takes no more replies." in error_summary(page)
    assert ">My careful answer</textarea>" in page
    assert thread(thread_id).post_count == 1
    # Moderators can still reply, and are told the thread is locked.
    mod_browser = signed_in(app, mod)
    page = html_of(mod_browser.get(f"/t/{thread_id}"))
    assert "as a moderator you can still reply" in page
    assert send(mod_browser, f"/t/{thread_id}/reply", {"body": "Closing"}).status_code == 302


def test_a_reply_to_a_thread_deleted_meanwhile_keeps_the_text(app, alice, bob, mod):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    browser.get(f"/t/{thread_id}")
    with atomic():
        actions.delete_thread(live(mod), thread_id)
    response = send(browser, f"/t/{thread_id}/reply", {"body": "Wait, one more thing"})
    assert response.status_code == 404
    page = html_of(response)
    assert "This thread has been deleted: it takes no more replies." in text_of(page)
    assert ">Wait, one more thing</textarea>" in page
    assert browser.get(f"/t/{thread_id}").status_code == 404
    # Moderators still see it, marked deleted, with no composer.
    page = html_of(signed_in(app, mod).get(f"/t/{thread_id}"))
    assert "Deleted" in page
    assert 'name="body"' not in page


def test_non_members_are_told_to_join_and_keep_their_text(app, alice, stranger):
    thread_id = start(alice)
    browser = signed_in(app, stranger)
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert "Join Procurement to take part." in page
    assert 'action="/c/procurement/join"' in page
    response = send(browser, f"/t/{thread_id}/reply", {"body": "Let me in"})
    assert response.status_code == 403
    assert "Join Procurement to take part." in error_summary(html_of(response))
    assert ">Let me in</textarea>" in html_of(response)
    first = first_post_id(thread_id)
    response = send(browser, f"/p/{first}/react", {"kind": "heart"})
    assert response.status_code == 403
    assert "Join Procurement to take part." in html_of(response)


# --- editing, deleting, revisions -----------------------------------------------------------


def test_editing_keeps_every_version_readable_with_who_and_when(app, alice, bob, mod):
    thread_id = start(alice, body="First words")
    first = first_post_id(thread_id)
    browser = signed_in(app, alice)
    page = html_of(browser.get(f"/p/{first}/edit"))
    assert form_value(page, "body") == "First words"
    response = send(browser, f"/p/{first}/edit", {"body": "Second words"})
    assert response.status_code == 302
    assert response.location == f"/p/{first}"
    assert "Your changes are saved." in html_of(browser.get(f"/t/{thread_id}"))
    send(signed_in(app, mod), f"/p/{first}/edit", {"body": "Third words", "reason": "Tidied"})
    page = html_of(app.test_client().get(f"/p/{first}/revisions"))
    text = text_of(page)
    assert "Current version" in text
    assert "Third words" in text
    assert "Edited by Mona Moderator on" in text
    assert "Replaced by Mona Moderator on" in text
    assert "Second words" in text
    assert "Replaced by Alice Author on" in text
    assert "First words" in text
    assert text.index("Third words") < text.index("Second words") < text.index("First words")
    assert len(re.findall(r"<time datetime=", page)) == 4
    # The thread page links to the versions.
    assert f'href="/p/{first}/revisions">edited' in html_of(
        app.test_client().get(f"/t/{thread_id}")
    )
    # Others cannot open the edit form.
    assert signed_in(app, bob).get(f"/p/{first}/edit").status_code == 403


def test_a_bad_edit_is_explained_and_kept(app, alice):
    first = first_post_id(start(alice))
    browser = signed_in(app, alice)
    response = send(browser, f"/p/{first}/edit", {"body": "   "})
    assert response.status_code == 400
    assert "the message is empty" in error_summary(html_of(response))
    response = send(browser, f"/p/{first}/edit", {"body": "New *text*", "preview": "Preview"})
    assert response.status_code == 200
    assert "<p>New <em>text</em></p>" in html_of(response)
    assert post(first).source == "How do you score social value?"


def test_deleting_a_post_leaves_a_line_in_its_place(app, alice, bob, mod):
    thread_id = start(alice)
    own = reply(bob, thread_id, "My mistake")
    other = reply(bob, thread_id, "Something rude")
    browser = signed_in(app, bob)
    response = send(browser, f"/p/{own}/delete", token_page=f"/t/{thread_id}")
    assert response.status_code == 302
    send(signed_in(app, mod), f"/p/{other}/delete", token_page=f"/t/{thread_id}")
    page = html_of(app.test_client().get(f"/t/{thread_id}"))
    assert "My mistake" not in page
    assert "Something rude" not in page
    assert "This post was deleted." in page
    assert "This post was deleted by a moderator." in page
    assert posts_shown(page) == [1, 2, 3]
    assert " 1 post " in text_of(page)  # the thread's count leaves deleted posts out
    assert signed_in(app, alice).client.post(f"/p/{own}/delete").status_code == 400  # no token
    assert send(signed_in(app, alice), f"/p/{first_post_id(thread_id)}/delete").status_code == 302
    assert send(browser, f"/p/{first_post_id(thread_id)}/delete").status_code == 403


# --- reactions ------------------------------------------------------------------------------


def test_reacting_shows_counts_and_who_reacted(app, alice, bob):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    browser = signed_in(app, bob)
    response = send(browser, f"/p/{first}/react", {"kind": "heart"})
    assert response.location == f"/p/{first}"
    response = send(
        signed_in(app, alice), f"/p/{first}/react", {"kind": "heart"},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert response.get_json() == {"ok": True, "counts": {"heart": 2}}
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert 'aria-pressed="true" aria-label="heart: 2"' in page
    assert 'aria-pressed="false" aria-label="thumbs up: 0"' in page
    visitor = html_of(app.test_client().get(f"/t/{thread_id}"))
    assert 'aria-label="heart: 2">❤️ 2</span>' in visitor
    assert "data-reaction" not in visitor
    who = html_of(app.test_client().get(f"/p/{first}/reactions"))
    assert "Reactions to post #1" in who
    assert "Heart (2)" in text_of(who)
    assert text_of(who).index("Alice Author") < text_of(who).index("Bob Reader")
    bad = send(browser, f"/p/{first}/react", {"kind": "poop"})
    assert bad.status_code == 400
    assert "not one of the choices" in html_of(bad)


# --- permissions on every URL ---------------------------------------------------------------


def test_members_only_threads_are_not_found_by_outsiders_anywhere(app, alice, bob, stranger):
    thread_id = start(alice)
    first = first_post_id(thread_id)
    second = reply(bob, thread_id, "Hi @**Sam Stranger**")
    with atomic():
        actions.toggle_reaction(live(bob), first, "heart")
        actions.edit_post(live(alice), first, body="Edited")
    make_private("procurement")
    urls = [
        f"/t/{thread_id}",
        f"/t/{thread_id}/social-value-in-tenders",
        f"/t/{thread_id}?page=2",
        f"/p/{first}",
        f"/p/{second}",
        f"/p/{first}/revisions",
        f"/p/{first}/reactions",
        f"/t/{thread_id}/since/0",
        f"/t/{thread_id}/unread",
        f"/p/{first}/edit",
        "/c/procurement",
        "/c/procurement/tags",
        "/c/procurement?tag=x",
    ]
    outsider = signed_in(app, stranger)
    for url in urls:
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Social value" not in html_of(response), url
        assert app.test_client().get(url).status_code in (302, 404), url
    for url in (f"/t/{thread_id}/reply", f"/p/{first}/react", f"/t/{thread_id}/watch",
                f"/p/{first}/delete", f"/t/{thread_id}/tags"):  # fmt: skip
        response = send(outsider, url, {"body": "x", "kind": "heart", "watching": "1"})
        assert response.status_code == 404, url
    # Members still get all of it.
    member = signed_in(app, bob)
    assert member.get(f"/t/{thread_id}").status_code == 200
    data = member.get(f"/t/{thread_id}/since/0").get_json()
    assert [p["number"] for p in data["posts"]] == [1, 2]


def test_since_lists_later_posts_as_live_payloads(app, alice, bob):
    thread_id = start(alice)
    second = reply(bob, thread_id, "Two")
    deleted = reply(bob, thread_id, "Three")
    with atomic():
        actions.delete_post(live(bob), deleted)
    data = signed_in(app, alice).get(f"/t/{thread_id}/since/1").get_json()
    assert [(p["post_id"], p["number"]) for p in data["posts"]] == [(second, 2)]
    assert data["posts"][0]["author"] == {"id": bob.id, "name": "Bob Reader"}


@pytest.mark.parametrize(
    "url",
    [
        "/t/abc",
        "/t/0",
        "/t/99999999999999999999",
        "/t/2147483648",
        "/p/99999999999999999999",
        "/p/-1",
        "/p/2147483648/revisions",
        "/p/99999999999999999999/reactions",
        "/t/1/since/99999999999999999999",
        "/t/99999999999999999999/unread",
        "/c/procurement/tags?x=1",
    ],
)
def test_malformed_ids_are_not_found_never_an_error(app, alice, url):
    thread_id = start(alice)
    assert thread_id == 1
    browser = signed_in(app, alice)
    response = browser.get(url)
    assert response.status_code in (200, 404), url
    if url.startswith("/t/1/since"):
        assert response.status_code == 404


def test_malformed_posts_are_refused_cleanly(app, alice, mod):
    thread_id = start(alice)
    browser = signed_in(app, mod)
    for url, data in [
        ("/t/99999999999999999999/reply", {"body": "x"}),
        ("/p/99999999999999999999/react", {"kind": "heart"}),
        (f"/t/{thread_id}/reply", {"body": "x", "reply_to": "9" * 30, "client_token": "t" * 999}),
        ("/c/procurement/tags", {"op": "rename", "tag_id": "9" * 30, "name": "x"}),
        ("/c/procurement/tags", {"op": "merge", "source": "9" * 30, "target": "abc"}),
        ("/c/procurement/tags", {"op": "rename", "tag_id": "abc", "name": "x"}),
    ]:
        response = send(browser, url, data, token_page=f"/t/{thread_id}")
        assert response.status_code in (302, 400, 404), (url, data, response.status_code)


# --- moderation -----------------------------------------------------------------------------


def test_moderator_tools_are_for_moderators(app, alice, mod):
    thread_id = start(alice)
    member_page = html_of(signed_in(app, alice).get(f"/t/{thread_id}"))
    assert "Moderator tools" not in member_page
    browser = signed_in(app, alice)
    for url, data in [
        (f"/t/{thread_id}/pin", {"pinned": "1"}),
        (f"/t/{thread_id}/lock", {"locked": "1"}),
        (f"/t/{thread_id}/move", {"community": "finance"}),
        (f"/t/{thread_id}/delete", {}),
    ]:
        response = send(browser, url, data)
        assert response.status_code == 403, url
        assert "Only this community&#39;s moderators can do that." in html_of(response)
    t = thread(thread_id)
    assert not t.pinned
    assert not t.locked
    assert not t.deleted_at


def test_moderators_pin_lock_move_and_delete_from_the_thread_page(app, alice, mod):
    start(alice, title="Older")
    thread_id = start(alice, title="To be pinned", tags="one, two")
    start(alice, title="Newest")
    make_moderator("finance", mod)
    browser = signed_in(app, mod)
    page = html_of(browser.get(f"/t/{thread_id}"))
    assert "Moderator tools" in page
    assert '<option value="finance">Finance</option>' in page
    assert '<option value="health">' not in page  # only where they moderate too
    assert send(browser, f"/t/{thread_id}/pin", {"pinned": "1"}).status_code == 302
    listing = html_of(browser.get("/c/procurement"))
    titles = re.findall(r'class="thread-title"[^>]*>([^<]+)</a>', listing)
    assert titles == ["To be pinned", "Newest", "Older"]
    assert '<span class="badge">Pinned</span>' in listing
    send(browser, f"/t/{thread_id}/lock", {"locked": "1"})
    assert "The thread is locked." in html_of(browser.get(f"/t/{thread_id}"))
    response = send(browser, f"/t/{thread_id}/move", {"community": "finance"})
    assert response.status_code == 302
    finance = html_of(browser.get("/c/finance"))
    assert "To be pinned" in finance
    assert 'href="/c/finance?tag=one"' in finance
    assert "To be pinned" not in html_of(browser.get("/c/procurement"))
    response = send(browser, f"/t/{thread_id}/delete", {})
    assert response.location == "/c/finance"
    assert "To be pinned" not in html_of(browser.get("/c/finance"))
    assert signed_in(app, alice).get(f"/t/{thread_id}").status_code == 404
    actions_logged = {a: len(audit(a)) for a in ("thread.pin", "thread.lock", "thread.move",
                                                 "thread.delete")}  # fmt: skip
    assert actions_logged == dict.fromkeys(actions_logged, 1)


def test_moving_to_a_community_one_does_not_moderate_is_refused(app, alice, mod):
    thread_id = start(alice)
    browser = signed_in(app, mod)
    assert send(browser, f"/t/{thread_id}/move", {"community": "finance"}).status_code == 403
    assert send(browser, f"/t/{thread_id}/move", {"community": "nowhere"}).status_code == 404
    assert thread(thread_id).community.slug == "procurement"


# --- tags -----------------------------------------------------------------------------------


def test_filtering_a_community_by_tag(app, client, alice):
    start(alice, title="Tagged", tags="social value")
    start(alice, title="Untagged")
    page = html_of(client.get("/c/procurement?tag=social-value"))
    assert "Threads tagged #social value" in page
    assert "Tagged" in page
    assert "Untagged" not in page
    response = client.get("/c/procurement?tag=no-such-tag")
    assert response.status_code == 404
    assert "No thread in Procurement has that tag." in html_of(response)
    tags_page = html_of(client.get("/c/procurement/tags"))
    assert 'href="/c/procurement?tag=social-value">#social value</a>' in tags_page
    assert '#social value</a> <span class="meta">1 thread</span>' in tags_page
    assert "Rename a tag" not in tags_page


def test_moderators_rename_and_merge_tags_on_the_tags_page(app, alice, bob, mod):
    a = start(alice, title="A", tags="tender")
    start(alice, title="B", tags="tendering")
    browser = signed_in(app, mod)
    page = html_of(browser.get("/c/procurement/tags"))
    tender_id = re.search(r'<option value="(\d+)">tender</option>', page).group(1)
    tendering_id = re.search(r'<option value="(\d+)">tendering</option>', page).group(1)
    assert '<label for="tag_id">Tag</label>' in page
    assert '<label for="name">' in page
    response = send(
        browser, "/c/procurement/tags", {"op": "rename", "tag_id": tender_id, "name": "Tendering"},
        token_page="/c/procurement/tags",
    )  # fmt: skip
    assert response.status_code == 400
    page = html_of(response)
    assert "The tag “tendering” exists: merge into it instead." in error_summary(page)
    assert form_value(page, "name") == "Tendering"
    assert f'<option value="{tender_id}" selected>tender</option>' in page  # still chosen
    response = send(
        browser, "/c/procurement/tags", {"op": "rename", "tag_id": tender_id, "name": ""},
        token_page="/c/procurement/tags",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Give the tag a new name." in error_summary(html_of(response))
    response = send(
        browser, "/c/procurement/tags",
        {"op": "merge", "source": tender_id, "target": tendering_id},
        token_page="/c/procurement/tags",
    )  # fmt: skip
    assert response.status_code == 302
    assert "The tags are merged." in html_of(browser.get("/c/procurement/tags"))
    assert [t.slug for t in thread(a).tags] == ["tendering"]
    response = send(
        browser, "/c/procurement/tags",
        {"op": "rename", "tag_id": tendering_id, "name": "Bids"},
        token_page="/c/procurement/tags",
    )  # fmt: skip
    assert response.status_code == 302
    assert 'href="/c/procurement?tag=bids">#Bids</a>' in html_of(browser.get("/c/procurement"))
    member = signed_in(app, bob)
    response = send(
        member, "/c/procurement/tags", {"op": "rename", "tag_id": tendering_id, "name": "Mine"}
    )
    assert response.status_code == 403


def test_the_author_edits_tags_on_the_thread_page(app, alice, bob):
    thread_id = start(alice, tags="one")
    browser = signed_in(app, alice)
    assert "Edit tags" in html_of(browser.get(f"/t/{thread_id}"))
    assert "Edit tags" not in html_of(signed_in(app, bob).get(f"/t/{thread_id}"))
    assert send(browser, f"/t/{thread_id}/tags", {"tags": "two, three"}).status_code == 302
    assert [t.name for t in thread(thread_id).tags] == ["three", "two"]
    send(browser, f"/t/{thread_id}/tags", {"tags": "a,b,c,d,e,f"})
    assert "Use at most 5 tags." in html_of(browser.get(f"/t/{thread_id}"))
    assert [t.name for t in thread(thread_id).tags] == ["three", "two"]
    assert send(signed_in(app, bob), f"/t/{thread_id}/tags", {"tags": "x"}).status_code == 403


# --- watching and unread on the community pages ---------------------------------------------


def test_watching_buttons(app, alice, bob):
    thread_id = start(alice)
    browser = signed_in(app, bob)
    assert "Watch this thread" in html_of(browser.get(f"/t/{thread_id}"))
    send(browser, f"/t/{thread_id}/watch", {"watching": "1"})
    assert "Stop watching" in html_of(browser.get(f"/t/{thread_id}"))
    send(browser, f"/t/{thread_id}/watch", {"watching": "0"})
    assert "Watch this thread" in html_of(browser.get(f"/t/{thread_id}"))
    send(browser, "/c/procurement/watch", {"watching": "1"})
    page = html_of(browser.get("/c/procurement"))
    assert "You are watching every new post here." in page
    assert "Stop watching" in page
    # Watching the community shows as watching its threads, unless one was unwatched.
    other = start(alice, title="Other")
    assert "Stop watching" in html_of(browser.get(f"/t/{other}"))
    assert "Watch this thread" in html_of(browser.get(f"/t/{thread_id}"))


def test_unread_badges_on_the_community_page_clear_when_read(app, alice, bob):
    browser = signed_in(app, bob)
    quiet = start(alice, title="Quiet one")
    busy = start(alice, title="Busy one")
    many_posts(busy, alice, 2)
    page = html_of(browser.get("/c/procurement"))
    assert page.count('<span class="badge badge-new">New</span>') == 2
    browser.get(f"/t/{busy}")
    reply(alice, busy, "Later")
    page = html_of(browser.get("/c/procurement"))
    assert page.count('<span class="badge badge-new">New</span>') == 1
    assert f'href="/t/{busy}/unread">1 unread<span class="visually-hidden"> in Busy one' in page
    browser.get(f"/t/{busy}")
    browser.get(f"/t/{quiet}")
    page = html_of(browser.get("/c/procurement"))
    assert "badge-new" not in page
    # Mark all read.
    reply(alice, busy, "Even later")
    start(alice, title="Brand new")
    assert "badge-new" in html_of(browser.get("/c/procurement"))
    response = send(browser, "/c/procurement/read", {})
    assert response.location == "/c/procurement"
    page = html_of(browser.get("/c/procurement"))
    assert "Everything here is marked read." in page
    assert "badge-new" not in page


def test_the_home_page_counts_unread_threads_per_community(app, alice, bob):
    browser = signed_in(app, bob)
    start(alice)
    start(alice, title="Another")
    page = html_of(browser.get("/"))
    assert "2 threads with unread posts" in page
    send(browser, "/c/procurement/read", {})
    assert "with unread posts" not in html_of(browser.get("/"))
    assert "with unread posts" not in html_of(app.test_client().get("/"))


# --- no N+1 ---------------------------------------------------------------------------------


def _statements(app, browser, url: str) -> int:
    browser.get(url)  # warm up: the first view records read markers and last_seen
    with app.app_context(), count_statements() as statements:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _busy_thread(thread_id: int, n: int, communities_) -> None:
    """`n` more posts by different authors, replying to each other, with reactions."""
    authors = [make_user(f"Poster {i}", organisation="other", communities=("procurement",))
               for i in range(n)]  # fmt: skip
    fresh()
    previous = first_post_id(thread_id)
    for i, author in enumerate(authors):
        post_id = reply(author, thread_id, f"Point {i} @**Alice Author**", reply_to_id=previous)
        with atomic():
            actions.toggle_reaction(live(author), post_id, "heart")
            actions.toggle_reaction(live(author), previous, "thumbs_up")
        previous = post_id


@pytest.mark.parametrize("private", [False, True], ids=["public", "members-only"])
def test_the_thread_page_does_not_grow_with_posts(app, alice, mod, communities, private):
    few, many = start(alice, title="Few"), start(alice, title="Many")
    _busy_thread(few, 4, communities)
    _busy_thread(many, 19, communities)
    if private:  # every author watches: checking who may read must not be one query each
        make_private("procurement")
    for reader in (alice, mod):
        browser = signed_in(app, reader)
        counts = [_statements(app, browser, f"/t/{t}") for t in (few, many)]
        assert counts[0] == counts[1], (reader.display_name, counts)
    # A first visit also records the read marker: that must not reload each post either.
    first_visits = []
    for t in (few, many):
        reader = make_user(admin=True) if private else make_user(communities=("procurement",))
        browser = signed_in(app, reader)
        browser.get("/")
        with app.app_context(), count_statements() as statements:
            assert browser.get(f"/t/{t}").status_code == 200
        first_visits.append(len(statements))
    assert first_visits[0] == first_visits[1]
    html = html_of(signed_in(app, alice).get(f"/t/{many}"))
    assert len(posts_shown(html)) == 20


def test_the_community_page_does_not_grow_with_threads(app, alice, bob, communities):
    browser = signed_in(app, bob)

    def add(n: int) -> None:
        for i in range(n):
            author = make_user(f"Starter {i}", communities=("procurement",))
            start(author, title=f"Thread {i}", tags=f"tag{i}, common")

    add(5)
    few = _statements(app, browser, "/c/procurement")
    visitor_few = _statements(app, app.test_client(), "/c/procurement")
    tag_few = _statements(app, browser, "/c/procurement?tag=common")
    add(25)
    assert _statements(app, browser, "/c/procurement") == few
    assert _statements(app, app.test_client(), "/c/procurement") == visitor_few
    assert _statements(app, browser, "/c/procurement?tag=common") == tag_few
    page = html_of(browser.get("/c/procurement"))
    assert page.count('class="thread-title"') == 30
    assert page.count('class="tag"') == 60


def test_the_home_page_does_not_grow_with_threads(app, alice, bob):
    browser = signed_in(app, bob)
    start(alice)
    few = _statements(app, browser, "/")
    for i in range(12):
        start(alice, title=f"Thread {i}")
    assert _statements(app, browser, "/") == few


def test_the_community_page_survives_any_cursor(app, alice, bob):
    from community.pagination import encode_cursor

    for i in range(35):
        start(alice, title=f"Thread {i}")
    browser = signed_in(app, bob)
    page = html_of(browser.get("/c/procurement"))
    older = re.search(r'href="(/c/procurement\?after=[^"]+)"', page).group(1)
    second = html_of(browser.get(older.replace("&amp;", "&")))
    assert second.count('class="thread-title"') == 5
    for cursor in [
        encode_cursor([True, "2020-01-01T00:00:00+05:00", 10**12]),
        encode_cursor([False, "not a date", 5]),
        encode_cursor([False, "2020-01-01T00:00:00", -1]),
        encode_cursor(["x", 1, 2]),
        "%%%",
        "A" * 5000,
    ]:
        response = browser.get(f"/c/procurement?after={cursor}")
        assert response.status_code == 200, cursor


def test_mention_suggestions_name_each_person_s_organisation(app, browser):
    from community.accounts import actions as account_actions

    with atomic():
        riverside = account_actions.create_organisation(name="Riverside Enterprise Trust")
    make_user("Una Byrne", organisation=str(riverside.id))
    make_user("Una Byrne", organisation_other="Hilltop Co-op")
    make_user("Una Kelly", organisation_other="Kelly & Daughters")
    asker = make_user("Asker", email="asker@example.org")
    browser.login(asker.email)
    with count_statements() as statements:
        members = browser.get("/api/members?q=una").get_json()["members"]
    assert sorted((m["name"], m["organisation"]) for m in members) == [
        ("Una Byrne", "Hilltop Co-op"),
        ("Una Byrne", "Riverside Enterprise Trust"),
        ("Una Kelly", "Kelly & Daughters"),
    ]
    assert sorted(m["mention"][:13] for m in members) == ["@**Una Byrne|"] * 2 + ["@**Una Kelly*"]
    # the organisations in one query, not one per person
    assert len([s for s in statements if "FROM organisation" in s]) == 1


def edit_links(html: str) -> int:
    return len(re.findall(r'href="/p/\d+/edit"', html))


def test_the_page_offers_only_what_the_actions_allow(app, alice, bob, mod):
    """Edit links, tag editing and the closed-replies notice come from the actions' rules
    (the view's can_* answers), not from role checks in the template."""
    thread_id = start(alice, tags="one")
    reply(bob, thread_id, "Bob's reply")
    assert edit_links(html_of(signed_in(app, alice).get(f"/t/{thread_id}"))) == 1
    assert edit_links(html_of(signed_in(app, mod).get(f"/t/{thread_id}"))) == 2
    with atomic():
        actions.set_locked(live(mod), thread_id, locked=True)
    page = html_of(signed_in(app, alice).get(f"/t/{thread_id}"))
    assert "Replies are closed" in page
    assert edit_links(page) == 0  # a locked thread's posts no longer change
    assert "Edit tags" in page
    assert "Replies are closed" not in html_of(signed_in(app, mod).get(f"/t/{thread_id}"))
    with atomic():
        community_actions.leave_community(live(alice), "procurement")
    page = html_of(signed_in(app, alice).get(f"/t/{thread_id}"))
    assert "Edit tags" not in page  # set_tags would refuse: she may no longer post there
