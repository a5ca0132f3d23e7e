"""Unsubscribing, end to end: a weekly digest built by the real code goes out through a real
SMTP server (aiosmtpd on loopback) and is read back with the standard `email` package; its
List-Unsubscribe address and its links stop the digest in Chromium without signing in (and
by an RFC 8058 one-click POST, as a mail program sends it); the settings page shows what
changed, and the next week's build sends nothing for what was stopped."""

import re
import urllib.request
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.db import utcnow
from community.digests.build import send_digests
from community.digests.choices import CATEGORIES, deliveries_of, may_receive_mail
from community.digests.settings import joined_communities
from community.extensions import db
from community.mail import send_queued
from tests.browser.conftest import sign_in_by_request
from tests.communities.helpers import fresh
from tests.factories import make_user
from tests.mail.conftest import Sink, SMTPServers
from tests.threads.helpers import start

pytestmark = pytest.mark.slow


@pytest.fixture
def smtp_sink(site):
    """The app sends by SMTP to an aiosmtpd sink, and its links point at the live server."""
    servers = SMTPServers()
    sink = servers.start()
    site.app.config.update(SMTP_URL=sink.url, SITE_URL=site.url)
    yield sink
    servers.stop_all()


def deliver(sink: Sink) -> list[EmailMessage]:
    """Run the mail job until the queue is empty; what the sink received meanwhile."""
    before = len(sink.messages)
    while send_queued():
        pass
    return sink.messages[before:]


def digests_to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == address and "digest" in m["Subject"]]


def build_digests(now) -> None:
    fresh()
    send_digests(now, frequency="weekly", whatever_the_hour=True)


class Links(HTMLParser):
    """Every <a href> of an HTML document, as (text, href)."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.found.append((" ".join("".join(self._text).split()), self._href))
            self._href = None

    def named(self, text: str) -> str:
        [href] = [href for name, href in self.found if name == text]
        return href


def unsubscribe_address(message: EmailMessage, site_url: str) -> str:
    """The one HTTP(S) address of List-Unsubscribe, checked to be the site's own link."""
    match = re.fullmatch(r"<(https?://[^<>\s]+)>", str(message["List-Unsubscribe"]))
    assert match, message["List-Unsubscribe"]
    url = match.group(1)
    assert re.fullmatch(re.escape(site_url) + r"/unsubscribe/[\w.-]+", url), url
    return url


def parts_of(message: EmailMessage) -> list[EmailMessage]:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    return parts


def member(user: User) -> User:
    fresh()
    return db.session.get(User, user.id)


def digest_state(user: User) -> tuple[str, dict[str, bool]]:
    """The member's digest frequency and, for each of their communities, whether it is in."""
    user = member(user)
    return user.digest_frequency, {c.name: on for c, on in joined_communities(user)}


def test_a_digest_unsubscribes_in_the_browser_and_by_one_click(open_page, site, smtp_sink, console):
    priya = make_user("Priya Poster", communities=("procurement", "health"))
    alice = make_user(
        "Alice Member", email="alice@example.org", communities=("procurement", "health")
    )
    bob = make_user("Bob Member", email="bob@example.org", communities=("procurement",))
    start(priya, "procurement", title="Social value in tenders")
    start(priya, "health", title="Clinic supplies frameworks")
    assert digest_state(alice) == ("weekly", {"Procurement": True, "Health": True})
    defaults = deliveries_of(member(alice))
    assert defaults == {name: c.default for name, c in CATEGORIES.items()}

    first = utcnow()
    build_digests(first)
    received = deliver(smtp_sink)
    [digest] = digests_to(received, "alice@example.org")
    [bobs] = digests_to(received, "bob@example.org")

    # What a mail program sees: the list headers, then a text and an HTML part.
    assert str(digest["List-Id"]) == "Commons digest <digest.127.0.0.1>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop_digest = unsubscribe_address(digest, site.url)
    plain, html = parts_of(digest)
    assert "Social value in tenders" in plain.get_content()
    assert "Clinic supplies frameworks" in plain.get_content()
    links = Links(html.get_content())
    assert links.named("Stop your digest") == stop_digest
    leave_health = links.named("Leave Health out of my digest")
    assert leave_health.startswith(site.url + "/unsubscribe/")
    assert leave_health != stop_digest
    assert links.named("Leave Procurement out of my digest") not in (stop_digest, leave_health)

    # Not signed in: the header's address says what will stop, and one button stops it.
    page = open_page()
    page.goto(stop_digest)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(page.get_by_text("This stops your digest for alice@example.org.")).to_be_visible()
    expect(page.locator("main").get_by_role("button")).to_have_count(1)
    assert member(alice).digest_frequency == "weekly"  # looking changes nothing
    page.get_by_role("button", name="Stop your digest").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Done: your digest stopped for alice@example.org."
    )
    assert member(alice).digest_frequency == "off"
    page.reload()  # the browser sends the form again: nothing more to do, and it says so
    expect(page.get_by_role("status")).to_have_text(
        "Already stopped: your digest for alice@example.org."
    )
    page.goto(stop_digest)
    page.get_by_role("button", name="Stop your digest").click()
    expect(page.get_by_role("status")).to_have_text(
        "Already stopped: your digest for alice@example.org."
    )

    # The community's own link, from the HTML part, leaves that community out.
    page.goto(leave_health)
    expect(page.get_by_text("This stops the Health part of your digest")).to_be_visible()
    page.get_by_role("button", name="Stop the Health part of your digest").click()
    expect(page.get_by_role("status")).to_have_text(
        "Done: the Health part of your digest stopped for alice@example.org."
    )

    # Only what the links named has changed.
    assert digest_state(alice) == ("off", {"Procurement": True, "Health": False})
    assert may_receive_mail(member(alice))  # not "stop all email"
    assert deliveries_of(member(alice)) == defaults

    # RFC 8058: the mail program POSTs to the header's address, no cookie, no CSRF token.
    one_click = urllib.request.Request(  # noqa: S310 (http, to the live test server)
        unsubscribe_address(bobs, site.url),
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(one_click, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
        assert "Done: your digest stopped for bob@example.org." in answer.read().decode()
    assert digest_state(bob) == ("off", {"Procurement": True})

    # Signed in, the settings show it: no digest, Health unticked. Alice takes the weekly
    # digest again, without Health.
    sign_in_by_request(page, "alice@example.org")
    page.goto("/settings#email-choices")
    choices = page.locator("#email-choices")
    expect(choices.get_by_role("radio", name="No digest")).to_be_checked()
    expect(choices.get_by_role("checkbox", name="Procurement")).to_be_checked()
    expect(choices.get_by_role("checkbox", name="Health")).not_to_be_checked()
    choices.get_by_role("radio", name="Weekly").check()
    choices.get_by_role("button", name="Save email choices").click()
    expect(page.get_by_role("status")).to_have_text("Your email choices are saved.")
    assert digest_state(alice) == ("weekly", {"Procurement": True, "Health": False})

    # A week later, with news in both communities: Alice's digest leaves Health out, and
    # Bob, who stopped his, gets none.
    start(priya, "procurement", title="Week two in procurement")
    start(priya, "health", title="Week two in health")
    build_digests(first + timedelta(days=7))
    received = deliver(smtp_sink)
    assert digests_to(received, "bob@example.org") == []
    [again] = digests_to(received, "alice@example.org")
    plain, html = parts_of(again)
    assert "Week two in procurement" in plain.get_content()
    assert "Health" not in plain.get_content()
    assert "Week two in health" not in html.get_content()
    assert not console.problems, "\n".join(console.problems)
