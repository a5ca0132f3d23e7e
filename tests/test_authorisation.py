"""Authorisation as data: tests/authorisation_table.py lists every route and Socket.IO event
with the outcome each role gets; these tests check the list is complete and run it."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from community.accounts import actions as account_actions
from community.db import atomic, utcnow
from community.errors import Forbidden
from community.events.models import Event
from community.extensions import db, socketio
from community.threads.models import Post
from tests.authorisation_table import EVENT_ROWS, ROWS, AsShown, EventRow, Row
from tests.authorisation_world import (
    ELSEWHERE,
    OPEN,
    ROLES,
    SECRETS,
    World,
    build_world,
    live,
)
from tests.conftest import Browser
from tests.sockets import IsolatedSocket

# Flask-SocketIO's own events, not sent by a client as a message.
LIFECYCLE = {"connect", "disconnect"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def app_rules(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def app_events() -> set[str]:
    return set(socketio.server.handlers["/"])


def test_the_table_lists_exactly_the_apps_routes(app):
    listed = {(row.method, row.rule) for row in ROWS}
    rules = app_rules(app)
    assert sorted(rules - listed) == [], "routes the table does not list"
    assert sorted(listed - rules) == [], "rows for routes that no longer exist"


def test_the_table_lists_exactly_the_apps_socket_events(app):
    listed = {row.event for row in EVENT_ROWS}
    assert sorted(app_events() - listed) == [], "events the table does not list"
    assert sorted(listed - app_events()) == [], "rows for events that no longer exist"


# --- running the table ------------------------------------------------------------------------


class Visitor:
    """One role's browser: signed in as the role (or not), with the page's CSRF token."""

    def __init__(self, app, world: World, role: str):
        self.app, self.world, self.role = app, world, role
        self.sign_in()

    def sign_in(self) -> None:
        self.client = self.app.test_client()
        user = self.world.user(self.role) if self.role != "anonymous" else None
        if self.role == "unverified":
            with atomic():
                live(user.id).verified_at = utcnow()
        if user is not None and not user.is_suspended:
            Browser(self.client).login(user.email)
        if self.role == "unverified":
            with atomic():
                self.world.user("unverified").verified_at = None
        if self.role == "suspended" and not user.is_suspended:
            with atomic():
                account_actions.suspend_member(
                    self.world.user("admin"), self.world.user("suspended"), "Spam."
                )
        page = self.client.get("/auth/reset").get_data(as_text=True)
        match = CSRF.search(page)
        assert match, "no CSRF token on /auth/reset"
        self.token = match.group(1) or match.group(2)

    def request(self, row: Row):
        path = resolve(row.path, self.world, self.role)
        if isinstance(path, str):
            path = path.format(**self.world.paths())
        if row.method == "GET":
            return path, self.client.get(path)
        data = resolve(row.data, self.world, self.role)
        if isinstance(data, AsShown):
            data = {**shown_form(self.client, data.page, data.action), **data.overrides}
        return path, self.client.post(path, data={**data, "csrf_token": self.token})


class FormFields(HTMLParser):
    """The values a page's form with a given action would submit as shown."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "file", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._add(a["name"], a.get("value", ""))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self._add(self.select, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self._add(self.textarea, "")

    def handle_data(self, data):
        if self.inside and self.textarea:
            self.fields[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)


def shown_form(client, page: str, action: str) -> dict:
    parser = FormFields(action)
    parser.feed(client.get(page).get_data(as_text=True))
    return parser.fields


def resolve(value, world: World, role: str):
    return value(world, role) if callable(value) else value


def outcome(client, response) -> str:
    with client.session_transaction() as session:
        flashed = session.pop("_flashes", [])
    if response.status_code in (301, 302, 303, 307, 308):
        where = urlsplit(response.headers["Location"]).path
        if where == "/auth/login":
            return "login"
        return "refused" if any(category == "error" for category, _ in flashed) else "ok"
    if 200 <= response.status_code < 300:
        return "ok"
    names = {400: "invalid", 401: "unauthorised", 403: "forbidden", 404: "missing"}
    return names.get(response.status_code, str(response.status_code))


def secrets_shown(response, role: str) -> list[str]:
    """The words on the page that `role` may not read (SECRETS)."""
    body = response.get_data()
    return [w for w, readers in SECRETS.items() if role not in readers and w.encode() in body]


def in_running_order(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.method == "GET" and not r.last] + [
        r for r in rows if r.method != "GET" and not r.last
    ] + [r for r in rows if r.last]  # fmt: skip


def describe(row, got: str, detail: str = "") -> str:
    label = getattr(row, "rule", None) or row.event
    method = getattr(row, "method", "EVENT")
    note = f" ({row.note})" if row.note else ""
    return f"{method} {label}{note}: expected {row.expect}, got {got} {detail}".rstrip()


@pytest.fixture
def world(app) -> World:
    return build_world()


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, world, role):
    visitor = Visitor(app, world, role)
    mismatches = []
    for row in in_running_order(ROWS):
        path, response = visitor.request(row)
        got = outcome(visitor.client, response)
        if leaked := secrets_shown(response, role):  # error pages must not tell either
            got = f"{got} but shows {leaked}"
        if got != row.expect[role]:
            mismatches.append(
                f"{row.method} {path} [{row.rule}]{' (' + row.note + ')' if row.note else ''}: "
                f"expected {row.expect[role]}, got {got} ({response.status_code} "
                f"{response.headers.get('Location', '')})"
            )
        if row.relogin:
            visitor.sign_in()
    assert mismatches == [], f"{role}:\n" + "\n".join(mismatches)


def socket_outcome(sio, row: EventRow, world: World, role: str) -> str:
    if sio is None:
        return "refused"
    if row.event in LIFECYCLE:
        return "ok" if sio.is_connected() else "refused"
    ack = sio.emit(row.event, resolve(row.payload, world, role), callback=True)
    if not (isinstance(ack, dict) and ack.get("ok")):
        return "error"
    text = json.dumps(ack, ensure_ascii=False)
    leaked = [w for w, readers in SECRETS.items() if role not in readers and w in text]
    return f"ok but shows {leaked}" if leaked else "ok"


def test_every_socket_event_answers_each_role_as_the_table_says(app, world):
    """All roles in one world (their events change only their own state or fresh targets),
    every mismatch reported at once."""
    mismatches = []
    for role in ROLES:
        visitor = Visitor(app, world, role)
        db.session.rollback()
        sio = IsolatedSocket(app, visitor.client)
        if not sio.is_connected():
            sio = None
        for row in EVENT_ROWS:
            got = socket_outcome(sio, row, world, role)
            if got != row.expect[role]:
                mismatches.append(
                    f"{role}: {row.event} ({row.note}): expected {row.expect[role]}, got {got}"
                )
        if sio is not None:
            sio.disconnect()
    assert mismatches == [], "\n".join(mismatches)


# --- the rules that hold for every action on people and places ------------------------------


def post_as(visitor: Visitor, path: str, **data):
    return visitor.client.post(path, data={"csrf_token": visitor.token, **data})


def test_a_moderator_never_acts_outside_their_communities(app, world):
    """Each moderator action on a target in `elsewhere`, by the moderator of `open` and
    `closed`: refused, and the target is as it was."""
    from community.communities.models import Membership
    from community.events.models import Event
    from community.resources import actions as resource_actions
    from community.resources.models import Resource
    from community.threads.models import Thread
    from tests.factories import make_event
    from tests.resources.helpers import details, pdf_upload

    event_id = make_event(world.user("other_mod"), community=ELSEWHERE, title="Far away")
    with atomic():
        resource = resource_actions.submit_resource(
            world.user("other_mod"),
            details(title="Far toolkit", communities=[ELSEWHERE]),
            upload=pdf_upload(),
        )
        db.session.flush()
        resource_id = resource.id
    moderator = Visitor(app, world, "moderator")
    t, p = world.elsewhere_thread, world.elsewhere_post
    attempts = {
        f"/mod/post/{world.elsewhere_flagged_post}/hide": {},
        f"/mod/post/{world.elsewhere_flagged_post}/delete": {},
        f"/p/{p}/delete": {},
        f"/p/{p}/edit": {"body": "Moderated."},
        f"/t/{t}/pin": {"pinned": "1"},
        f"/t/{t}/lock": {"locked": "1"},
        f"/t/{t}/move": {"community": OPEN},
        f"/t/{t}/delete": {},
        f"/t/{t}/tags": {"tags": "moved"},
        f"/chat/{ELSEWHERE}/mute": {"user_id": str(world.users["nonmember"]), "minutes": "5"},
        f"/c/{ELSEWHERE}/manage/members": {"member-email": world.user("member").email},
        f"/events/{event_id}/cancel": {"reason": "Mine now."},
        f"/events/{event_id}/edit": {"title": "Mine now"},
        f"/chat/event-{event_id}/mute": {"user_id": str(world.users["nonmember"]), "minutes": "5"},
        f"/resources/{resource_id}/feature": {},
        f"/resources/{resource_id}/archive": {"reason": "Mine now."},
        f"/resources/{resource_id}/edit": {"title": "Mine now", "kind": "toolkit"},
    }
    answers = {
        path: post_as(moderator, path, **data).status_code for path, data in attempts.items()
    }
    assert {path: code for path, code in answers.items() if code != 403} == {}
    db.session.rollback()
    thread, post = db.session.get(Thread, t), db.session.get(Post, p)
    flagged = db.session.get(Post, world.elsewhere_flagged_post)
    assert (thread.pinned, thread.locked, thread.community.slug) == (False, False, ELSEWHERE)
    assert thread.deleted_at is None
    assert post.deleted_at is None
    assert flagged.hidden_at is None
    assert post.source == "Further."
    event = db.session.get(Event, event_id)
    assert (event.cancelled_at, event.title) == (None, "Far away")
    resource = db.session.get(Resource, resource_id)
    assert (resource.status, resource.featured, resource.title) == (
        "published",
        False,
        "Far toolkit",
    )
    joined = db.select(Membership).where(
        Membership.user_id == world.users["member"], Membership.community_id == thread.community_id
    )
    assert db.session.scalar(joined) is None


def test_a_moderator_cannot_suspend_or_mute_themself_or_an_admin(app, world):
    moderator = Visitor(app, world, "moderator")
    for target in ("moderator", "admin"):
        path = f"/admin/members/{world.users[target]}/suspend"
        assert post_as(moderator, path, reason="Spam.").status_code == 403
        muted = post_as(moderator, f"/chat/{OPEN}/mute", user_id=str(world.users[target]),
                        minutes="5")  # fmt: skip
        assert muted.status_code == 400
        assert "Moderators cannot be muted." in muted.get_data(as_text=True)
    with pytest.raises(Forbidden), atomic():
        account_actions.suspend_member(world.user("moderator"), world.user("moderator"), "x")
    db.session.rollback()
    assert not world.user("moderator").is_suspended
    assert not world.user("admin").is_suspended


def test_nobody_but_an_admin_suspends_an_admin(app, world):
    target = world.users["admin2"]
    for role in (r for r in ROLES if r != "admin"):
        response = post_as(Visitor(app, world, role), f"/admin/members/{target}/suspend",
                           reason="Spam.")  # fmt: skip
        assert outcome_of(response) in ("login", "forbidden"), role
        with pytest.raises(Forbidden), atomic():
            account_actions.suspend_member(
                world.user("member" if role == "anonymous" else role), world.user("admin2"), "x"
            )
        db.session.rollback()
        assert not world.user("admin2").is_suspended


def test_an_admin_suspends_another_admin_but_not_themself(app, world):
    admin = Visitor(app, world, "admin")
    own = post_as(admin, f"/admin/members/{world.users['admin']}/suspend", reason="Spam.")
    assert own.status_code == 403
    other = post_as(admin, f"/admin/members/{world.users['admin2']}/suspend", reason="Spam.")
    assert outcome_of(other) == "ok"
    db.session.rollback()
    assert world.user("admin2").is_suspended
    assert not world.user("admin").is_suspended


def outcome_of(response) -> str:
    if response.status_code in (301, 302, 303):
        where = urlsplit(response.headers["Location"]).path
        return "login" if where == "/auth/login" else "ok"
    return {200: "ok", 403: "forbidden"}.get(response.status_code, str(response.status_code))


def test_a_moderators_queue_holds_only_their_communities(app, world):
    """/mod and the live count: the moderator of `open` sees its flagged post and event (and
    the resource waiting for review there), never the post in `elsewhere`, and the other way
    round; a flagged network-wide event waits for the admins only; an admin sees them all."""
    flagged = {
        "open_post": db.session.get(Post, world.flagged_post).source,
        "open_event": f"“{db.session.get(Event, world.flagged_event).title}”",
        "elsewhere_post": db.session.get(Post, world.elsewhere_flagged_post).source,
        "network_event": f"“{db.session.get(Event, world.flagged_network_event).title}”",
    }
    sees = {"moderator": {"open_post", "open_event"}, "other_mod": {"elsewhere_post"},
            "admin": set(flagged)}  # fmt: skip
    for role, expected in sees.items():
        visitor = Visitor(app, world, role)
        page = visitor.client.get("/mod").get_data(as_text=True)
        shown = {what for what, words in flagged.items() if words in page}
        assert shown == expected, role
        db.session.rollback()
        sio = IsolatedSocket(app, visitor.client)
        reviews = 1 if "open_post" in expected else 0  # `open`'s resource waiting for review
        assert sio.emit("moderation.count", {}, callback=True) == {
            "ok": True,
            "waiting": len(expected) + reviews,
        }
        sio.disconnect()
