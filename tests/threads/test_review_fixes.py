"""Found in review: over-long ids and cursors, a double-clicked delete, edits refused late."""

import base64
import json

import pytest

from community.accounts.models import User
from community.db import atomic
from community.errors import Forbidden
from community.extensions import db
from community.threads import actions
from tests.communities.helpers import run_concurrently
from tests.threads.helpers import community, csrf, reply, signed_in, start, thread


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_an_over_long_quote_id_is_ignored(app, alice):
    thread_id = start(alice)
    response = signed_in(app, alice).get(f"/t/{thread_id}?quote={'9' * 5000}")
    assert response.status_code == 200


def test_an_over_long_reply_to_keeps_the_reply(app, alice):
    thread_id = start(alice)
    browser = signed_in(app, alice)
    response = browser.client.post(
        f"/t/{thread_id}/reply",
        data={
            "csrf_token": csrf(browser, f"/t/{thread_id}"),
            "body": "Kept.",
            "reply_to": "9" * 5000,
        },
    )
    assert response.status_code == 302
    assert thread(thread_id).post_count == 2


@pytest.mark.parametrize("values", [[1, "a", 2**70], [1, "a\ud800", 1], [0, "x", -(2**40)]])
def test_crafted_member_cursors_are_harmless(app, alice, values):
    response = signed_in(app, alice).get(f"/c/procurement/members?after={_cursor(values)}")
    assert response.status_code == 200


@pytest.mark.parametrize("values", [["\ud800", 5], ["a", 2**70]])
def test_crafted_directory_cursors_are_harmless(app, alice, values):
    assert signed_in(app, alice).get(f"/members?after={_cursor(values)}").status_code == 200


def test_a_double_clicked_delete_counts_once(app, alice, bob):
    thread_id = start(alice)
    doomed = reply(bob, thread_id, "Delete me")
    before = community("procurement").post_count
    bob_id = bob.id

    def work(_: int) -> None:
        with atomic():
            actions.delete_post(db.session.get(User, bob_id), doomed)

    errors = run_concurrently(app, work, [1, 2])
    assert len(errors) == 1
    assert isinstance(errors[0], Forbidden)
    assert thread(thread_id).post_count == 1
    assert community("procurement").post_count == before - 1


def test_an_edit_refused_after_the_page_was_opened_keeps_the_text(app, alice, mod):
    thread_id = start(alice)
    post_id = reply(alice, thread_id, "First words.")
    browser = signed_in(app, alice)
    token = csrf(browser, f"/p/{post_id}/edit")
    with atomic():
        actions.set_locked(db.session.get(User, mod.id), thread_id, locked=True)
    response = browser.client.post(
        f"/p/{post_id}/edit", data={"csrf_token": token, "body": "My careful rewrite."}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your edit was not saved" in html
    assert "My careful rewrite." in html
