"""Every mail is multipart: plain text first, then HTML that loads nothing from outside and
links only to SITE_URL, with the same links and facts as the text.

The templates are found by listing templates/mail/, so a new mail without an HTML part, or
without a scenario here, fails. Each scenario runs the real action that queues the mail; the
message is built as the mail job builds it and parsed back from its bytes.
"""

import email
import email.policy
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from community import mail
from community.accounts import actions as account_actions
from community.accounts import administration, invitations
from community.accounts.models import User
from community.db import atomic, utcnow
from community.digests import build, immediate
from community.events import actions as event_actions
from community.events import reminders
from community.events import rsvp as event_rsvp
from community.events.models import Event
from community.extensions import db
from community.mail import OutboundMail, build_message
from community.resources import actions as resource_actions
from tests.communities.helpers import fresh
from tests.factories import PASSWORD, make_event, make_moderator, make_user
from tests.resources.helpers import details, run, submit
from tests.threads.helpers import reply, start

SITE_URL = "https://commons.example.org"
MAIL_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"
TEMPLATES = sorted(p.stem for p in MAIL_DIR.glob("*.txt"))
# The one link to elsewhere a mail may hold: an online event's join link, which its
# organiser gave and the text part shows too.
JOIN_URL = "https://meet.example.net/tender-clinic"
# What may never be in a mail's HTML: anything that runs, or loads from outside.
FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "object", "embed", "form", "base", "video"}
URL_IN_TEXT = re.compile(r"(?:https?://|mailto:)[^\s<>\"]+")


@pytest.fixture
def app_settings() -> dict:
    # Not the test host: a link built from a request's host instead of SITE_URL fails.
    return {"SITE_URL": SITE_URL}


@dataclass
class Cast:
    alice: User  # a member of Procurement and Health
    bob: User  # another member of Procurement
    mod: User  # a moderator of Procurement
    admin: User


@pytest.fixture
def cast(communities) -> Cast:
    return Cast(
        alice=make_user(
            "Alice Member", email="alice@example.org", communities=("procurement", "health")
        ),
        bob=make_user("Bob Member", email="bob@example.org", communities=("procurement",)),
        mod=make_moderator("procurement", make_user("Mona Moderator", email="mona@example.org")),
        admin=make_user("Ada Admin", email="ada@example.org", admin=True),
    )


@pytest.fixture
def rendered(monkeypatch) -> dict[str, list[str]]:
    """What queue_mail rendered, by template name: tells which queued row came from which
    template."""
    seen: dict[str, list[str]] = defaultdict(list)
    real = mail.render_template

    def record(name, **context):
        out = real(name, **context)
        seen[name].append(out)
        return out

    monkeypatch.setattr(mail, "render_template", record)
    return seen


def live(user: User) -> User:
    return db.session.get(User, user.id)


# --- the scenarios: each runs the actions that queue a template's mail and returns the
# facts (names, titles, reasons) both parts must tell --------------------------------------

SCENARIOS: dict[str, list] = defaultdict(list)


def scenario(*templates: str):
    def register(fn):
        for name in templates:
            SCENARIOS[name].append(fn)
        return fn

    return register


@scenario("verify")
def registering(cast: Cast) -> list[str]:
    make_user("Zoë Newcomer", email="zoe@example.org")
    return ["Zoë Newcomer"]


@scenario("already_registered")
def registering_twice(cast: Cast) -> list[str]:
    with atomic():
        again = account_actions.register(
            email="alice@example.org",
            display_name="Someone Else",
            password=PASSWORD,
            organisation="other",
            organisation_other="Elsewhere",
        )
    assert again is None
    return ["Alice Member", "tried to register"]


@scenario("already_registered")
def taking_anothers_address(cast: Cast) -> list[str]:
    with atomic():
        account_actions.request_email_change(
            live(cast.bob), new_email="alice@example.org", current_password=PASSWORD
        )
    return ["Alice Member", "change that account's email address"]


@scenario("email_change", "email_change_notice")
def changing_address(cast: Cast) -> list[str]:
    with atomic():
        account_actions.request_email_change(
            live(cast.alice), new_email="alice@new.example.org", current_password=PASSWORD
        )
    return ["Alice Member"]


@scenario("reset")
def asking_for_a_reset(cast: Cast) -> list[str]:
    with atomic():
        account_actions.request_password_reset("alice@example.org")
    return ["Alice Member"]


@scenario("password_changed")
def changing_password(cast: Cast) -> list[str]:
    with atomic():
        account_actions.change_password(
            live(cast.alice), current_password=PASSWORD, new_password="a new battery staple"
        )
    return ["Alice Member"]


@scenario("invitation")
def inviting(cast: Cast) -> list[str]:
    with atomic():
        invitations.invite(live(cast.admin), "new@example.org", "Join us for <b>Procurement</b>")
    return ["Ada Admin", "Join us for <b>Procurement</b>"]


def _awaiting(email: str) -> User:
    user = make_user("Pat Pending", email=email)
    with atomic():
        live(user).awaiting_approval_since = utcnow()
    return user


@scenario("registration_approved")
def approving_a_registration(cast: Cast) -> list[str]:
    pending = _awaiting("pat@example.org")
    with atomic():
        administration.approve_registration(live(cast.admin), live(pending))
    return ["Pat Pending"]


@scenario("registration_declined")
def declining_a_registration(cast: Cast) -> list[str]:
    pending = _awaiting("pat@example.org")
    with atomic():
        administration.decline_registration(live(cast.admin), live(pending))
    return ["Pat Pending"]


@scenario("suspended")
def suspending_for_a_week(cast: Cast) -> list[str]:
    until = (utcnow() + timedelta(days=7)).date()
    with atomic():
        account_actions.suspend_member(
            live(cast.admin), live(cast.alice), "Repeated <b>spam</b> & adverts", until
        )
    return ["Alice Member", "Repeated <b>spam</b> & adverts", until.isoformat()]


@scenario("suspended", "unsuspended")
def suspending_and_lifting(cast: Cast) -> list[str]:
    with atomic():
        account_actions.suspend_member(live(cast.admin), live(cast.alice), "Off-topic posts")
    with atomic():
        account_actions.unsuspend_member(live(cast.admin), live(cast.alice))
    return ["Alice Member"]


def answer(user: User, event_id: int, status: str) -> None:
    with atomic():
        event_rsvp.rsvp(live(user), event_id, status)


@scenario("event_reminder")
def reminding(cast: Cast) -> list[str]:
    event_id = make_event(
        cast.mod, title="Tender clinic", starts_in=timedelta(hours=23), join_url=JOIN_URL
    )
    answer(cast.alice, event_id, "going")
    fresh()
    assert reminders.send_reminders(reminders.DAY) == 1
    return ["Alice Member", "“Tender clinic”", "Civic Centre, Newport"]


@scenario("event_changed")
def moving(cast: Cast) -> list[str]:
    event_id = make_event(cast.mod, title="Tender clinic")
    answer(cast.alice, event_id, "going")
    event = db.session.get(Event, event_id)
    details = event_actions.details_of(event)
    moved = replace(
        details,
        starts=details.starts + timedelta(hours=1),
        ends=details.ends + timedelta(hours=1),
        location="Town Hall, Cardiff",
    )
    with atomic():
        event_actions.edit_event(live(cast.mod), event_id, moved)
    return ["Alice Member", "the time and the place", "“Tender clinic”", "Town Hall, Cardiff"]


@scenario("event_cancelled")
def cancelling(cast: Cast) -> list[str]:
    event_id = make_event(cast.mod, title="Tender clinic")
    answer(cast.alice, event_id, "maybe")
    with atomic():
        event_actions.cancel_event(live(cast.mod), event_id, "The speaker is ill.")
    return ["Alice Member", "“Tender clinic”", "The speaker is ill."]


@scenario("event_promoted")
def promoting(cast: Cast) -> list[str]:
    event_id = make_event(cast.mod, title="Networking day", capacity=1)
    answer(cast.alice, event_id, "going")
    answer(cast.bob, event_id, "going")  # the waiting list
    answer(cast.alice, event_id, "not_going")
    return ["Bob Member", "“Networking day”", "Civic Centre, Newport", "you are now going"]


def shared(cast: Cast) -> int:
    return submit(cast.alice, upload=None, link="https://example.org/toolkit")


@scenario("resource_decision")
def approving(cast: Cast) -> list[str]:
    run(resource_actions.approve_resource, cast.mod, shared(cast))
    return ["Alice Member", "Mona Moderator published", "“Social value in procurement”"]


@scenario("resource_decision")
def asking_for_changes(cast: Cast) -> list[str]:
    reason = "Please add the year & the publisher."
    run(resource_actions.request_changes, cast.mod, shared(cast), reason=reason)
    return ["Alice Member", "asks for some changes", reason]


@scenario("resource_decision")
def rejecting(cast: Cast) -> list[str]:
    reason = "Out of scope for this community."
    run(resource_actions.reject_resource, cast.mod, shared(cast), reason=reason)
    return ["Alice Member", "did not accept", reason]


def proposed(cast: Cast) -> int:
    """Alice's published resource, and her proposed new version of it: the proposal's id."""
    resource_id = shared(cast)
    run(resource_actions.approve_resource, cast.mod, resource_id)
    proposal = run(
        resource_actions.propose_version, cast.alice, resource_id,
        details(title="Social value in procurement, 2027", link="https://example.org/toolkit"),
    )  # fmt: skip
    return proposal.id


@scenario("proposal_decision")
def approving_a_proposal(cast: Cast) -> list[str]:
    run(resource_actions.approve_proposal, cast.mod, proposed(cast))
    return ["Alice Member", "approved the new version you proposed"]


@scenario("proposal_decision")
def asking_for_changes_to_a_proposal(cast: Cast) -> list[str]:
    reason = "Please say what changed & why."
    run(resource_actions.request_proposal_changes, cast.mod, proposed(cast), reason=reason)
    return ["Alice Member", "asks for some changes", reason]


@scenario("proposal_decision")
def rejecting_a_proposal(cast: Cast) -> list[str]:
    reason = "The earlier version is the one we keep."
    run(resource_actions.reject_proposal, cast.mod, proposed(cast), reason=reason)
    return ["Alice Member", "did not accept the new version", reason]


@scenario("notifications")
def mentioning(cast: Cast) -> list[str]:
    thread_id = start(cast.mod, "procurement", title="Tender scoring")
    reply(cast.mod, thread_id, "@**Alice Member** what do you think?")
    fresh()
    assert immediate.mail_pending_notifications(utcnow() + immediate.HOLD) == 1
    return ["Alice Member", "Mona Moderator", "Tender scoring"]


@scenario("digest")
def digesting(cast: Cast) -> list[str]:
    start(cast.mod, "procurement", title="Social value in tenders", body="How do you score it?")
    fresh()
    assert build.send_digests(whatever_the_hour=True).queued >= 1
    return ["Social value in tenders", "Procurement"]  # to every member of it


def _announced(cast: Cast, title: str) -> int:
    from community.announcements import actions as announcement_actions

    details = announcement_actions.AnnouncementDetails(
        title=title, audience="procurement",
        body="The new rules start in April: see [the resources](/resources) & **ask**.",
    )  # fmt: skip
    with atomic():
        made = announcement_actions.create_announcement(live(cast.admin), details)
        announcement_actions.request_email(live(cast.admin), made.id)
        return made.id


@scenario("announcement")
def announcing(cast: Cast) -> list[str]:
    from community.announcements import mailing

    _announced(cast, "Tender rules & you")
    mailing.send_announcement_mail()
    return ["Tender rules & you", "The new rules start in April", "Procurement"]


@scenario("digest")
def announcing_in_the_digest(cast: Cast) -> list[str]:
    from community.digests.choices import set_deliveries

    with atomic():
        set_deliveries(live(cast.bob), {"announcements": "digest"})
    _announced(cast, "Tender rules & you")
    fresh()
    assert build.send_digests(whatever_the_hour=True).queued >= 1
    return ["From the site's admins", "Tender rules & you", "The new rules start in April"]


# --- reading a message -------------------------------------------------------------------


class Page(HTMLParser):
    """An HTML part, parsed: its tags, links and text (entities decoded)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.hrefs: list[str] = []
        self.chunks: list[str] = []
        self.in_head = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((name, value or "") for name, value in attrs)
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")
        if tag == "head":
            self.in_head = True

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False

    def handle_data(self, data):
        if not self.in_head:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def links_in_text(text: str) -> set[str]:
    return {url.rstrip(".,;:!?)") for url in URL_IN_TEXT.findall(text)}


def ours(href: str) -> bool:
    return href == SITE_URL or href.startswith((f"{SITE_URL}/", "mailto:"))


def queued_from(template: str, rendered: dict) -> list[OutboundMail]:
    texts = rendered[f"mail/{template}.txt"]
    fresh()
    rows = db.session.scalars(select(OutboundMail).order_by(OutboundMail.id))
    return [row for row in rows if row.text_body in texts]


def check_message(app, row: OutboundMail, facts: list[str]) -> None:
    raw = build_message(row, app.config["MAIL_FROM"]).data
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (p.get_content() for p in parts)

    lowered = html.lower()
    for needle in ("<script", "<link", "@import", "url(", "javascript:", 'src="http'):
        assert needle not in lowered, f"{needle} in the HTML part"
    page = Page(html)
    assert FORBIDDEN_TAGS.isdisjoint(page.tags), sorted(FORBIDDEN_TAGS & set(page.tags))
    assert not [a for a in page.attrs if a[0] in {"src", "srcset", "background", "action"}]
    assert page.tags[0] == "html"
    assert re.search(r'<html lang="[a-z]{2}(-[A-Z]{2})?">', html)
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html

    assert page.hrefs, "the HTML part links nowhere"
    strangers = [h for h in page.hrefs if not ours(h) and h != JOIN_URL]
    assert strangers == [], f"links not under {SITE_URL}"
    assert set(page.hrefs) == links_in_text(text)

    flat_text = " ".join(text.split())
    greeting = text.splitlines()[0]
    assert greeting.startswith("Hello")
    for fact in [greeting, *facts]:
        assert fact in flat_text, f"{fact!r} not in the text part"
        assert fact in page.text, f"{fact!r} not in the HTML part"


# --- the tests ---------------------------------------------------------------------------


def test_every_mail_template_has_an_html_part():
    assert len(TEMPLATES) >= 13  # the folder was found
    missing = [name for name in TEMPLATES if not (MAIL_DIR / f"{name}.html").exists()]
    assert missing == []


def test_every_mail_template_has_a_scenario_here():
    assert [name for name in TEMPLATES if not SCENARIOS.get(name)] == []


CASES = [(name, fn) for name in TEMPLATES for fn in SCENARIOS.get(name, [])]


@pytest.mark.parametrize(
    ("template", "action"), CASES, ids=[f"{name}-{fn.__name__}" for name, fn in CASES]
)
def test_the_mail_has_text_then_self_contained_html_with_the_same_links(
    app, cast, rendered, template, action
):
    facts = action(cast)
    rows = queued_from(template, rendered)
    assert rows, f"{action.__name__} queued no {template} mail"
    for row in rows:
        assert row.html_body is not None
        check_message(app, row, facts)
