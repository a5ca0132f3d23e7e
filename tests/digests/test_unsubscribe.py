"""One-click unsubscribe (RFC 8058): a signed link per member and scope that works without
signing in; GET shows what will stop, POST stops it at once, idempotent, without a CSRF
token by design."""

from email import message_from_string, policy
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.communities.models import Community
from community.digests import unsubscribe
from community.digests.choices import delivery
from community.digests.models import DigestExclusion
from community.extensions import db
from tests.communities.helpers import fresh


def path_for(user: User, scope: str) -> str:
    return urlsplit(unsubscribe.unsubscribe_url(user, scope)).path


def member(user: User) -> User:
    fresh()
    return db.session.get(User, user.id)


def test_csrf_is_on_for_this_app(app):
    assert app.config.get("WTF_CSRF_ENABLED", True)


def test_get_shows_what_will_stop_and_changes_nothing(client, alice):
    page = client.get(path_for(alice, "all"))
    assert page.status_code == 200
    assert b"all email from Commons except messages about your account" in page.data
    assert b"<button" in page.data
    assert member(alice).email_stopped_at is None


def test_one_click_post_without_a_csrf_token_stops_all_email(client, alice):
    answer = client.post(path_for(alice, "all"), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert b"Done" in answer.data
    assert member(alice).email_stopped_at is not None
    again = client.post(path_for(alice, "all"))
    assert again.status_code == 200
    assert b"Already stopped" in again.data


def test_the_digest_scope_turns_the_digest_off(client, alice):
    client.post(path_for(alice, "digest"))
    assert member(alice).digest_frequency == "off"
    assert member(alice).email_stopped_at is None


def test_a_community_scope_leaves_that_community_out(client, alice):
    fresh()
    health = db.session.scalar(select(Community).where(Community.slug == "health"))
    page = client.get(path_for(alice, f"digest:{health.id}"))
    assert b"the Health part of your digest" in page.data
    client.post(path_for(alice, f"digest:{health.id}"))
    client.post(path_for(alice, f"digest:{health.id}"))
    fresh()
    assert db.session.get(DigestExclusion, (alice.id, health.id)) is not None
    assert member(alice).digest_frequency == "weekly"


def test_a_kind_scope_stops_that_category_only(client, alice):
    client.post(path_for(alice, "kind:mentions"))
    assert delivery(member(alice), "mentions") == "never"
    assert delivery(member(alice), "events") == "immediately"


@pytest.mark.parametrize(
    "path", ["/unsubscribe/nonsense", "/unsubscribe/WzEsImFsbCJd.forged-signature"]
)
def test_a_forged_or_broken_token_is_404_for_get_and_post(client, alice, path):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert member(alice).email_stopped_at is None


def test_an_altered_scope_breaks_the_signature(client, alice):
    token = path_for(alice, "digest").rsplit("/", 1)[1]
    payload, signature = token.split(".")
    other = unsubscribe.token_for(alice, "all").split(".")[0]
    assert client.post(f"/unsubscribe/{other}.{signature}").status_code == 404
    assert member(alice).email_stopped_at is None


def test_the_list_headers_parse_and_point_at_the_link(app, alice):
    headers = unsubscribe.list_headers(member(alice), "digest", "digest")
    raw = "".join(f"{name}: {value}\n" for name, value in headers.items()) + "\nbody\n"
    parsed = message_from_string(raw, policy=policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"] == f"<{unsubscribe.unsubscribe_url(alice, 'digest')}>"
    assert parsed["List-Id"].endswith(">")
