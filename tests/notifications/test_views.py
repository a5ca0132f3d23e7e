"""`/notifications` over HTTP: the list, opening one, marking all read, the header's count."""

import re

from community.db import atomic
from community.threads import actions as thread_actions
from tests.communities.helpers import count_statements
from tests.factories import make_moderator, make_user
from tests.threads.helpers import (
    first_post_id,
    live,
    make_private,
    reply,
    send,
    signed_in,
    start,
    text_of,
)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def note_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'action="/notifications/(\d+)/open"', html)]


def header_count(html: str) -> str:
    """The header's notifications link as a screen reader names it: "Notifications, 3 unread
    notifications", or "Notifications" when there are none; its badge shows the same number
    and is hidden at 0."""
    match = re.search(r'<a href="/notifications"[^>]*>(.*?)</a>', html, re.S)
    assert match, "the header links to the notifications"
    link = match.group(1)
    badge = re.search(
        r'<span class="nav-count" data-unread-count data-count="(\d+)"( hidden)?>(.*)</span>$',
        link,
    )
    assert badge, "the link holds the unread count's badge"
    count, hidden, inner = badge.groups()
    assert re.search(rf'<span aria-hidden="true" data-count-number>{count}</span>', inner)
    assert bool(hidden) == (count == "0"), "the badge is hidden at 0, and only then"
    said = "" if hidden else re.sub(r'<span aria-hidden="true"[^>]*>.*?</span>', "", inner)
    return re.sub(r"<[^>]+>", "", link[: badge.start()] + said)


def test_the_list_says_who_did_what_newest_first(app, alice, bob, stranger):
    with atomic():
        thread_actions.set_community_watching(live(stranger), "procurement", watching=True)
    thread_id = start(alice, title="Lots or no lots?")
    reply(bob, thread_id, "Lots, always.")
    reply(alice, thread_id, "Thanks @**Sam Stranger**")
    browser = signed_in(app, stranger)
    page = html_of(browser.get("/notifications"))
    text = text_of(page)
    assert header_count(page) == "Notifications, 3 unread notifications"
    assert (
        text.index("Alice Author mentioned you in Lots or no lots?")
        < text.index("Bob Reader replied in Lots or no lots?")
        < text.index("Alice Author started a thread: Lots or no lots?")
    )
    assert "Lots, always." in text  # the excerpt
    assert "Thanks @Sam Stranger" in text
    assert "@**" not in text
    assert text.count("Unread:") == 3
    assert "Mark all read" in page


def test_opening_one_marks_it_read_and_goes_to_the_post(app, alice, bob):
    thread_id = start(alice)
    answer = reply(bob, thread_id, "First!")
    reply(bob, thread_id, "Second!")
    browser = signed_in(app, alice)
    newest, older = note_ids(html_of(browser.get("/notifications")))
    response = send(browser, f"/notifications/{older}/open", token_page="/notifications")
    assert response.status_code == 302
    assert response.location == f"/p/{answer}"
    assert browser.get(response.location).location == f"/t/{thread_id}#p{answer}"
    page = html_of(browser.get("/notifications"))
    assert header_count(page) == "Notifications, 1 unread notification"
    assert text_of(page).count("Unread:") == 1
    # Someone else's, or no such notification: not found.
    other = signed_in(app, bob)
    assert send(other, f"/notifications/{newest}/open").status_code == 404
    assert send(other, "/notifications/99999999999/open").status_code == 404
    # Without a valid form it does nothing (back to the list).
    assert browser.client.post(f"/notifications/{newest}/open").status_code in (302, 400)
    assert (
        header_count(html_of(browser.get("/notifications")))
        == "Notifications, 1 unread notification"
    )


def test_mark_all_read(app, alice, bob):
    thread_id = start(alice)
    for n in range(3):
        reply(bob, thread_id, f"Reply {n}")
    browser = signed_in(app, alice)
    assert header_count(html_of(browser.get("/"))) == "Notifications, 3 unread notifications"
    response = send(browser, "/notifications/read", token_page="/notifications")
    assert response.location == "/notifications"
    page = html_of(browser.get("/notifications"))
    assert header_count(page) == "Notifications"
    assert "Unread:" not in text_of(page)
    assert len(note_ids(page)) == 3


def test_an_empty_list_explains_itself(app, stranger):
    page = html_of(signed_in(app, stranger).get("/notifications"))
    assert "No notifications yet." in page
    assert "Mark all read" not in page
    assert app.test_client().get("/notifications").status_code == 302  # sign in first


def test_the_list_pages_by_keyset(app, alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    with atomic():
        for n in range(34):
            thread_actions.post_reply(live(alice), thread_id, body=f"News {n}")
    browser = signed_in(app, bob)
    page = html_of(browser.get("/notifications"))
    first = note_ids(page)
    assert len(first) == 30
    assert first == sorted(first, reverse=True)
    next_url = re.search(r'href="(/notifications\?after=[^"]+)"', page).group(1)
    second = note_ids(html_of(browser.get(next_url.replace("&amp;", "&"))))
    assert len(second) == 4
    assert max(second) < min(first)
    for bad in ("x", "WzFd" * 50, "WzEwMDAwMDAwMDAwMDAwMDBd", "%00"):
        response = browser.get(f"/notifications?after={bad}")
        assert response.status_code in (200, 400), bad


def test_a_thread_moved_where_the_member_cannot_read_leaves_their_list(app, alice, bob, mod):
    thread_id = start(alice, title="Sensitive subject")
    reply(bob, thread_id)
    reply(alice, thread_id, "More")
    browser = signed_in(app, bob)
    [note_id] = note_ids(html_of(browser.get("/notifications")))
    make_moderator("health", mod)
    with atomic():
        thread_actions.move_thread(live(mod), thread_id, to_slug="health")
    make_private("health")
    page = html_of(browser.get("/notifications"))
    assert "Sensitive subject" not in page
    assert header_count(page) == "Notifications"
    assert send(browser, f"/notifications/{note_id}/open").status_code == 404
    # Once bob is let into the community, it is back.
    from community.communities import actions as community_actions

    with atomic():
        community_actions.add_member(live(mod), "health", email=bob.email)
    assert "Sensitive subject" in html_of(browser.get("/notifications"))


def test_mentions_reach_only_those_who_can_read(app, alice, bob, stranger):
    make_private("procurement")
    start(alice, title="Members only", body="@**Sam Stranger** and @**Bob Reader**, look")
    assert "Members only" not in html_of(signed_in(app, stranger).get("/notifications"))
    page = html_of(signed_in(app, bob).get("/notifications"))
    assert "Alice Author mentioned you in Members only" in text_of(page)


def test_the_list_does_not_grow_with_notifications(app, alice, bob):
    thread_id = start(alice)
    reply(bob, thread_id)
    browser = signed_in(app, bob)

    def add(n: int) -> None:
        for i in range(n):
            author = make_user(f"Replier {i}", communities=("procurement",))
            reply(author, thread_id, f"Hi @**Bob Reader** ({i})")

    def statements() -> int:
        browser.get("/notifications")
        with app.app_context(), count_statements() as sql:
            assert browser.get("/notifications").status_code == 200
        return len(sql)

    add(5)
    few = statements()
    add(25)
    assert statements() == few
    assert len(note_ids(html_of(browser.get("/notifications")))) == 30


def test_the_first_post_of_a_thread_links_to_the_thread(app, alice, stranger):
    with atomic():
        thread_actions.set_community_watching(live(stranger), "procurement", watching=True)
    thread_id = start(alice)
    browser = signed_in(app, stranger)
    [note_id] = note_ids(html_of(browser.get("/notifications")))
    response = send(browser, f"/notifications/{note_id}/open")
    assert response.location == f"/p/{first_post_id(thread_id)}"


def test_each_kind_reads_in_words_of_its_own(app, alice, bob, browser):
    from community.chat import actions as chat_actions
    from community.db import atomic
    from tests.threads.helpers import live

    with atomic():
        chat_actions.send_message(
            live(alice), "procurement", body="Over to you @**Bob Reader**", client_id="c-1"
        )
    browser.login("bob@example.org")
    page = browser.get("/notifications").get_data(as_text=True)
    assert "mentioned you in the chat of" in page
    assert "<strong>Procurement</strong>" in page
    assert "replied in" not in page
    assert "Over to you @Bob Reader" in page
