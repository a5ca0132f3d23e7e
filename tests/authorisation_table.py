"""Who may do what, as data: every HTTP route and every Socket.IO event, with the outcome
each role gets. tests/test_authorisation.py runs it against the app and fails when a route
or an event exists that is not listed here, so a new one cannot be forgotten.

The roles (tests/authorisation_world.py builds them): anonymous; unverified (signed in, then
their address unconfirmed: the site lets nobody unconfirmed sign in, so this is the actions'
own check); member (of `open` and `closed`); nonmember (a member of `elsewhere` only);
suspended (signed in, then suspended by an admin: their session has ended); other_mod (the
moderator of `elsewhere`); moderator (of `open` and `closed`); admin (a member of nothing).

Outcomes of an HTTP request:
- ok: 2xx, or a redirect anywhere but the sign-in page (the action was done or the page shown)
- login: a redirect to the sign-in page
- forbidden: 403
- missing: 404 (what the role may not read does not exist for them)
- refused: a redirect back with an error message (a view that flashes the refusal)
- invalid: 400 (a request that cannot be carried out: e.g. leaving a community one is not
  in, muting a moderator)
- unauthorised: 401 (a JSON endpoint's answer to the signed out)
Outcomes of a Socket.IO event:
- ok: the ack is {"ok": true, ...}
- error: the ack is {"ok": false, "error": ...}
- refused: the connection itself was refused (the role cannot connect)

A path or data may be a function of (world, role), called just before the request: rows
that change or remove their target make a fresh one, so rows never depend on each other.
Rows marked `last` run after all others (for the role), and `relogin` ones sign the role in
again afterwards (they sign out, or sign in as someone else). `AsShown` data submits a
page's form as the role sees it. Beyond its outcome, no answer (page, error page, file or
ack) may show a role the words of SECRETS it may not read (authorisation_world.py): that
is reported as "<outcome> but shows [...]".
"""

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from community.db import atomic, utcnow
from community.events.rules import to_local
from community.extensions import db
from tests.authorisation_world import (
    CLOSED,
    ELSEWHERE,
    OPEN,
    PASSWORD,
    ROLES,
    World,
    fresh_email,
)
from tests.filesamples import pdf_bytes
from tests.test_uploads import image_bytes


def expect(default: str, **by_role: str) -> dict[str, str]:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"not roles: {unknown}"
    return {role: by_role.get(role, default) for role in ROLES}


def signed_in(default: str = "ok", **by_role: str) -> dict[str, str]:
    """Sign-in required: the anonymous and the suspended are sent to sign in."""
    return expect(default, anonymous="login", suspended="login", **by_role)


ANYONE = expect("ok")
SIGNED_IN = signed_in()
CONFIRMED = signed_in(unverified="forbidden")
# Taking part in `open`: its members (admins join a community to post, like anyone).
TAKES_PART = signed_in("forbidden", member="ok", moderator="ok")
MODERATES = signed_in("forbidden", moderator="ok", admin="ok")
ADMINS = signed_in("forbidden", admin="ok")
# Reading `closed` behind sign-in (the page itself needs a member).
READS_CLOSED = signed_in("missing", member="ok", moderator="ok", admin="ok")
# Reading `closed` on a page open to visitors.
SEES_CLOSED = expect("missing", member="ok", moderator="ok", admin="ok")
# Flagging: every confirmed reader of the post (not only its community's members).
FLAGS = CONFIRMED
# A resource waiting for review is seen by its submitter and the curators only.
WAITING_RESOURCE = signed_in("missing", moderator="ok", admin="ok")
# A members-only community's moderators' page: a 404 to whoever may not read the community.
CLOSED_TO_OUTSIDERS = expect("missing", member="forbidden", moderator="ok", admin="ok")
ANY_MODERATOR = signed_in("forbidden", other_mod="ok", moderator="ok", admin="ok")


@dataclass(frozen=True)
class AsShown:
    """The form whose action is `action` on `page`, submitted with the values it shows (as a
    browser would), with `overrides`; only the overrides where the page shows no such form."""

    page: str
    action: str
    overrides: dict = field(default_factory=dict)


Value = str | dict | AsShown | Callable[[World, str], object]


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    path: Value
    expect: dict[str, str]
    data: Value = field(default_factory=dict)
    last: bool = False
    relogin: bool = False
    note: str = ""


@dataclass(frozen=True)
class EventRow:
    event: str
    payload: Value
    expect: dict[str, str]
    note: str = ""


def get(rule, path, expected, **kw) -> Row:
    return Row("GET", rule, path, expected, **kw)


def post(rule, path, expected, data=None, **kw) -> Row:
    return Row("POST", rule, path, expected, data=data or {}, **kw)


def event_form(w: World, role: str) -> dict:
    starts = to_local(utcnow() + timedelta(days=10), "Europe/London").replace(
        tzinfo=None, second=0, microsecond=0
    )
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": "Planning day",
        "description": "",
        "community": OPEN,
        "starts": starts.strftime(fmt),
        "ends": (starts + timedelta(hours=2)).strftime(fmt),
        "timezone": "Europe/London",
        "location": "Civic Centre",
        "join_url": "",
        "capacity": "",
        "deadline": "",
        "submit": "Save the event",
    }


def resource_form(w: World, role: str) -> dict:
    return {
        "title": "A toolkit",
        "kind": "toolkit",
        "communities": [OPEN],
        "summary": "",
        "organisation": "",
        "published": "",
        "licence": "unknown",
        "link": "https://example.org/toolkit",
        "tags": "",
        "note": "",
    }


def image(_w=None, _role=None) -> dict:
    return {"image": (io.BytesIO(image_bytes("PNG")), "pic.png")}


def own(name: str) -> Callable[[World, str], int]:
    """The role's own `name` (the member's, for the anonymous)."""
    return lambda w, role: (
        w.ids[f"{name}_{role}"] if role != "anonymous" else w.ids[f"{name}_member"]
    )


def self_id(w: World, role: str) -> int:
    return w.users.get(role, w.users["member"])


def health_public(on: bool) -> Callable[[World, str], str]:
    """/health, with the public summary switched on or off first (the admins' setting)."""

    def path(_w: World, _role: str) -> str:
        from community.db import atomic
        from community.extensions import db
        from community.sitesettings import SiteSettings

        with atomic():
            row = db.session.get(SiteSettings, 1)
            if row is None:
                row = SiteSettings(id=1, site_name="Commons", contact_email="",
                                   registration_mode="open")  # fmt: skip
                db.session.add(row)
            row.health_public = on
        return "/health"

    return path


def feed_owner(role: str) -> str:
    """Whose private calendar link the role uses: their own (the anonymous: a non-member's,
    as if it had been shared with them)."""
    return "nonmember" if role == "anonymous" else role


def login_data(w: World, role: str) -> dict:
    """The role's own credentials (a second admin's, for the anonymous)."""
    user = w.user("admin2" if role in ("anonymous",) else role)
    return {"email": user.email, "password": PASSWORD}


# --- site pages (community/pages): fresh pages, made by the second admin ----------------------
_page_numbers = itertools.count(1)


def fresh_page(w: World, role: str, *, saves: int = 1) -> str:
    """A new site page's address, saved `saves` times (a revision each)."""
    from community.db import atomic
    from community.pages import actions as page_actions

    slug = f"ground-rules-{next(_page_numbers)}"
    fields = page_actions.PageFields(title="Ground rules", slug=slug, body="Be kind.")
    with atomic():
        page_actions.create_page(w.user("admin2"), fields)
    for n in range(2, saves + 1):
        with atomic():
            page_actions.edit_page(
                w.user("admin2"), slug, page_actions.PageFields(**{**vars(fields), "body": f"{n}"})
            )
    return slug


def page_form(w: World, role: str) -> dict:
    return {"title": "House rules", "slug": f"house-rules-{next(_page_numbers)}",
            "body": "Be useful.", "in_footer": "y", "position": "3"}  # fmt: skip


def page_path(suffix: str = "", saves: int = 1) -> Callable[[World, str], str]:
    return lambda w, role: f"/admin/pages/{fresh_page(w, role, saves=saves)}{suffix}"


# --- announcements (g-announce): helpers for the block of rows below ----------------------


def fresh_announcement(audience: str = "everyone") -> Callable[[World, str], int]:
    """A new announcement (made by the admin), its banner showing now, for `audience`."""

    def make(w: World, role: str) -> int:
        from community.announcements import actions as announcement_actions
        from community.db import atomic

        now = utcnow()
        details = announcement_actions.AnnouncementDetails(
            title="Notice board", body="A word from the admins.", audience=audience,
            banner_from=now - timedelta(hours=1), banner_until=now + timedelta(hours=1),
            timezone="UTC",
        )  # fmt: skip
        with atomic():
            return announcement_actions.create_announcement(w.user("admin"), details).id

    return make


def announcement_path(suffix: str = "", audience: str = "everyone", prefix: str = "/admin"):
    made = fresh_announcement(audience)
    return lambda w, role: f"{prefix}/announcements/{made(w, role)}{suffix}"


def announcement_form(w: World, role: str) -> dict:
    starts = to_local(utcnow() + timedelta(days=2), "Europe/London").replace(tzinfo=None)
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": "Notice board", "body": "A word from the admins.", "audience": "everyone",
        "banner_from": starts.strftime(fmt),
        "banner_until": (starts + timedelta(days=1)).strftime(fmt),
        "submit": "Save the announcement",
    }  # fmt: skip


ROWS: list[Row] = [
    # --- communities ----------------------------------------------------------------------
    get("/", "/", ANYONE),
    get("/c/<slug>", f"/c/{OPEN}", ANYONE),
    get("/c/<slug>", f"/c/{CLOSED}", SEES_CLOSED, note="members-only"),
    get("/c/<slug>/members", f"/c/{OPEN}/members", ANYONE),
    get("/c/<slug>/members", f"/c/{CLOSED}/members", SEES_CLOSED, note="members-only"),
    post("/c/<slug>/join", f"/c/{ELSEWHERE}/join", signed_in(unverified="forbidden")),
    post(
        "/c/<slug>/leave",
        f"/c/{OPEN}/leave",
        signed_in("invalid", member="ok", moderator="ok"),
        last=True,
    ),
    get("/c/<slug>/manage", f"/c/{OPEN}/manage", MODERATES),
    get(
        "/c/<slug>/manage",
        f"/c/{CLOSED}/manage",
        expect("missing", member="forbidden", moderator="ok", admin="ok"),
        note="members-only: a 404 to whoever may not read it",
    ),
    post(
        "/c/<slug>/manage/members",
        f"/c/{OPEN}/manage/members",
        MODERATES,
        lambda w, role: {"member-email": w.fresh_user_email()},
    ),
    post(
        "/c/<slug>/manage/moderators",
        f"/c/{OPEN}/manage/moderators",
        ADMINS,
        lambda w, role: {"moderator-email": w.fresh_user_email()},
    ),
    post(
        "/c/<slug>/manage/moderators/<int:user_id>/remove",
        lambda w, role: f"/c/{OPEN}/manage/moderators/{w.fresh_moderator()}/remove",
        ADMINS,
    ),
    post(
        "/c/<slug>/manage/visibility",
        lambda w, role: f"/c/{w.fresh_community()}/manage/visibility",
        ADMINS,
        {"visibility": "members"},
    ),
    post(
        "/c/<slug>/manage/archive",
        lambda w, role: f"/c/{w.fresh_community()}/manage/archive",
        ADMINS,
        {"archived": "1"},
    ),
    # --- threads and posts ----------------------------------------------------------------
    get("/c/<slug>/new", f"/c/{OPEN}/new", TAKES_PART),
    post(
        "/c/<slug>/new",
        f"/c/{OPEN}/new",
        TAKES_PART,
        {"title": "A new thread", "body": "Hello all."},
    ),
    post("/c/<slug>/read", f"/c/{OPEN}/read", SIGNED_IN),
    post("/c/<slug>/watch", f"/c/{OPEN}/watch", SIGNED_IN, {"watching": "1"}),
    get("/c/<slug>/tags", f"/c/{OPEN}/tags", ANYONE),
    post(
        "/c/<slug>/tags",
        f"/c/{OPEN}/tags",
        expect("forbidden", moderator="ok", admin="ok"),
        lambda w, role: {"op": "rename", "tag_id": str(w.tag), "name": "Money"},
    ),
    get("/c/<slug>/feed.atom", f"/c/{OPEN}/feed.atom", ANYONE),
    get(
        "/c/<slug>/feed.atom",
        f"/c/{CLOSED}/feed.atom",
        expect("missing"),
        note="feeds are for public communities only (a feed reader has no session)",
    ),
    get("/feeds/latest.atom", "/feeds/latest.atom", ANYONE),
    get("/t/<int:thread_id>", "/t/{thread}", ANYONE),
    get("/t/<int:thread_id>", "/t/{closed_thread}", SEES_CLOSED, note="members-only"),
    get("/t/<int:thread_id>/<slug>", "/t/{thread}/open-thread", ANYONE),
    get(
        "/t/<int:thread_id>/<slug>",
        "/t/{closed_thread}/zephyr-thread",
        SEES_CLOSED,
        note="members-only",
    ),  # fmt: skip
    get("/t/<int:thread_id>/since/<int:number>", "/t/{thread}/since/1", SIGNED_IN),
    get("/t/<int:thread_id>/unread", "/t/{thread}/unread", SIGNED_IN),
    get(
        "/t/<int:thread_id>/since/<int:number>",
        "/t/{closed_thread}/since/1",
        READS_CLOSED,
        note="members-only",
    ),  # fmt: skip
    get(
        "/t/<int:thread_id>/unread", "/t/{closed_thread}/unread", READS_CLOSED, note="members-only"
    ),  # fmt: skip
    post(
        "/t/<int:thread_id>/reply",
        "/t/{closed_thread}/reply",
        signed_in("missing", member="ok", moderator="ok", admin="forbidden"),
        {"body": "A reply."},
        note="members-only",
    ),  # fmt: skip
    post(
        "/t/<int:thread_id>/watch",
        "/t/{closed_thread}/watch",
        READS_CLOSED,
        {"watching": "1"},
        note="members-only",
    ),  # fmt: skip
    post("/t/<int:thread_id>/reply", "/t/{thread}/reply", TAKES_PART, {"body": "A reply."}),
    post("/t/<int:thread_id>/watch", "/t/{thread}/watch", SIGNED_IN, {"watching": "1"}),
    post("/t/<int:thread_id>/tags", "/t/{thread}/tags", MODERATES, {"tags": "budgets, audit"}),
    post(
        "/t/<int:thread_id>/pin",
        lambda w, role: f"/t/{w.fresh_thread()}/pin",
        MODERATES,
        {"pinned": "1"},
    ),
    post(
        "/t/<int:thread_id>/lock",
        lambda w, role: f"/t/{w.fresh_thread()}/lock",
        MODERATES,
        {"locked": "1"},
    ),
    post(
        "/t/<int:thread_id>/move",
        lambda w, role: f"/t/{w.fresh_thread()}/move",
        MODERATES,
        {"community": CLOSED},
    ),
    post(
        "/t/<int:thread_id>/merge",
        lambda w, role: f"/t/{w.fresh_thread()}/merge",
        MODERATES,
        lambda w, role: {"into": str(w.fresh_thread())},
    ),
    post(
        "/t/<int:thread_id>/move",
        lambda w, role: f"/t/{w.fresh_thread()}/move",
        signed_in("forbidden", admin="ok"),
        {"community": ELSEWHERE},
        note="into a community the moderator does not moderate",
    ),
    post(
        "/t/<int:thread_id>/delete",
        lambda w, role: f"/t/{w.fresh_thread()}/delete",
        MODERATES,
    ),
    get("/p/<int:post_id>", "/p/{post}", ANYONE),
    get("/p/<int:post_id>", "/p/{closed_post}", SEES_CLOSED, note="members-only"),
    get("/p/<int:post_id>/edit", "/p/{post}/edit", MODERATES),
    get(
        "/p/<int:post_id>/edit",
        "/p/{member_post}/edit",
        MODERATES | {"member": "ok"},
        note="the member's own post",
    ),  # fmt: skip
    post(
        "/p/<int:post_id>/edit",
        lambda w, role: f"/p/{w.fresh_post()}/edit",
        MODERATES,
        {"body": "Edited.", "reason": "Tidied up"},
    ),
    post("/p/<int:post_id>/delete", lambda w, role: f"/p/{w.fresh_post()}/delete", MODERATES),
    post("/p/<int:post_id>/react", "/p/{post}/react", TAKES_PART, {"kind": "heart"}),
    get("/p/<int:post_id>/reactions", "/p/{post}/reactions", ANYONE),
    get("/p/<int:post_id>/revisions", "/p/{post}/revisions", ANYONE),
    get(
        "/p/<int:post_id>/reactions", "/p/{closed_post}/reactions", SEES_CLOSED, note="members-only"
    ),  # fmt: skip
    get(
        "/p/<int:post_id>/revisions", "/p/{closed_post}/revisions", SEES_CLOSED, note="members-only"
    ),  # fmt: skip
    post(
        "/p/<int:post_id>/react",
        "/p/{closed_post}/react",
        signed_in("missing", member="ok", moderator="ok", admin="forbidden"),
        {"kind": "heart"},
        note="members-only",
    ),  # fmt: skip
    get(
        "/flag/<kind>/<int:target_id>",
        "/flag/post/{closed_post}",
        signed_in("missing", unverified="missing", member="ok", moderator="ok", admin="ok"),
        note="members-only",
    ),  # fmt: skip
    post("/preview", "/preview", SIGNED_IN, {"body": "*Hello*"}),
    get("/api/members", "/api/members?q=Mo", SIGNED_IN),
    # --- moderation -----------------------------------------------------------------------
    get("/flag/<kind>/<int:target_id>", "/flag/post/{post}", FLAGS),
    post(
        "/flag/<kind>/<int:target_id>",
        lambda w, role: f"/flag/post/{w.fresh_post()}",
        FLAGS,
        {"reason": "spam", "note": ""},
    ),
    get("/mod", "/mod", ANY_MODERATOR),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/post/{w.fresh_flagged_post()}/hide",
        MODERATES,
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        "/mod/post/{closed_post}/keep",
        signed_in("missing", member="forbidden", moderator="ok", admin="ok"),
        note="members-only",
    ),
    post(
        "/flag/<kind>/<int:target_id>",
        "/flag/post/{closed_post}",
        signed_in("missing", member="ok", moderator="ok", admin="ok"),
        {"reason": "spam", "note": ""},
        note="members-only",
    ),
    post(
        "/t/<int:thread_id>/lock",
        "/t/{closed_thread}/lock",
        signed_in("missing", member="forbidden", moderator="ok", admin="ok"),
        {"locked": "1"},
        note="members-only",
    ),  # fmt: skip
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        "/mod/post/{elsewhere_flagged_post}/hide",
        signed_in("forbidden", other_mod="ok", admin="ok"),
        note="a post in another community than the moderator's",
    ),
    get("/flag/<kind>/<int:target_id>", "/flag/resource/{resource}", FLAGS, note="a resource"),
    post(
        "/flag/<kind>/<int:target_id>",
        lambda w, role: f"/flag/resource/{w.fresh_resource(published=True)}",
        FLAGS,
        {"reason": "spam", "note": ""},
        note="a resource",
    ),
    get(
        "/flag/<kind>/<int:target_id>",
        "/flag/resource/{pending_resource}",
        signed_in("missing"),
        note="a resource waiting for review: not flaggable (it is in the review queue)",
    ),
    post(
        "/flag/<kind>/<int:target_id>",
        "/flag/resource/{closed_resource}",
        signed_in("missing", member="ok", moderator="forbidden", admin="ok"),
        {"reason": "spam", "note": ""},
        note="a members-only resource the moderator shared: not theirs to flag",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/resource/{w.fresh_flagged_resource()}/hide",
        MODERATES,
        note="a flagged resource",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/resource/{w.fresh_flagged_resource()}/keep",
        MODERATES,
        note="a flagged resource",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/resource/{w.fresh_flagged_resource()}/delete",
        MODERATES,
        note="a flagged resource: archived, still hidden",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        "/mod/resource/{closed_resource}/keep",
        signed_in("missing", member="forbidden", moderator="ok", admin="ok"),
        note="a members-only resource",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/resource/{w.fresh_resource_elsewhere()}/hide",
        signed_in("forbidden", other_mod="ok", admin="ok"),
        note="a resource in another community than the moderator's",
    ),
    # Events: flagged like posts; their organiser (the moderator) may not flag their own.
    get("/flag/<kind>/<int:target_id>", "/flag/event/{event}", FLAGS | {"moderator": "forbidden"}),
    post(
        "/flag/<kind>/<int:target_id>",
        lambda w, role: f"/flag/event/{w.fresh_event()}",
        FLAGS | {"moderator": "forbidden"},
        {"reason": "spam", "note": ""},
        note="the moderator organised it",
    ),
    get(
        "/flag/<kind>/<int:target_id>",
        "/flag/event/{closed_event}",
        signed_in("missing", member="ok", moderator="forbidden", admin="ok"),
        note="members-only",
    ),
    post(
        "/flag/<kind>/<int:target_id>",
        lambda w, role: f"/flag/event/{w.fresh_event(CLOSED)}",
        signed_in("missing", member="ok", moderator="forbidden", admin="ok"),
        {"reason": "spam", "note": ""},
        note="members-only",
    ),
    get(
        "/flag/<kind>/<int:target_id>",
        "/flag/event/{hidden_event}",
        signed_in("missing"),
        note="hidden by moderation: nobody flags it",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/event/{w.fresh_flagged_event()}/hide",
        MODERATES,
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/event/{w.fresh_flagged_event()}/delete",
        MODERATES,
        {"reason": "Spam."},
        note="cancels it, with the reason",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/event/{w.fresh_flagged_event(network=True)}/keep",
        ADMINS,
        note="a network-wide event: only admins decide",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        "/mod/event/{closed_event}/keep",
        signed_in("missing", member="forbidden", moderator="ok", admin="ok"),
        note="members-only (nothing waits: the moderator is told so)",
    ),
    # Profiles belong to no community: any confirmed member flags one, only admins decide.
    get("/flag/<kind>/<int:target_id>", "/flag/profile/{user_author}", FLAGS),
    post(
        "/flag/<kind>/<int:target_id>",
        lambda w, role: f"/flag/profile/{w.fresh_user()}",
        FLAGS,
        {"reason": "offensive", "note": ""},
        note="a profile",
    ),
    get("/flag/<kind>/<int:target_id>", "/flag/profile/999999", signed_in("missing")),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/profile/{w.fresh_flagged_profile()}/hide",
        ADMINS,
        note="a profile: no community's moderators decide, only admins",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/profile/{w.fresh_flagged_profile()}/delete",
        ADMINS,
        note="a profile's bio and picture cleared",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/profile/{w.fresh_flagged_profile(admin=True)}/hide",
        ADMINS,
        note="another admin's profile",
    ),
    post(
        "/mod/<kind>/<int:target_id>/<any(keep, hide, delete):decision>",
        lambda w, role: f"/mod/profile/{w.flagged_admin_profile()}/keep",
        signed_in("forbidden"),
        note="the admin's own profile: another admin decides",
    ),
    get("/mod/log", "/mod/log", ANY_MODERATOR),
    get("/mod/log.csv", "/mod/log.csv", ANY_MODERATOR),
    post(
        "/mod/<kind>/<int:target_id>/warn",
        lambda w, role: f"/mod/post/{w.fresh_post_elsewhere_moderated()}/warn",
        MODERATES,
        {"reason": "Please keep it civil."},
        last=True,
        note="warns the post's author, who cannot post again until they read it: last",
    ),
    post(
        "/mod/held/<int:post_id>/<any(approve, decline):decision>",
        lambda w, role: f"/mod/held/{w.fresh_held_post()}/approve",
        signed_in("missing", moderator="ok", admin="ok"),
        note="a new member's post held in a community the moderator moderates: hidden to others",
    ),
    get(
        "/warnings/<int:warning_id>",
        lambda w, role: f"/warnings/{w.fresh_warning()}",
        signed_in("missing", member="ok"),
        last=True,
        note="the member's own warning: nobody else's",
    ),
    post(
        "/warnings/<int:warning_id>",
        lambda w, role: f"/warnings/{w.fresh_warning()}",
        signed_in("missing", member="ok"),
        last=True,
        note="acknowledging: the member's own warning only",
    ),
    post(
        "/c/<slug>/manage/safeguards",
        f"/c/{OPEN}/manage/safeguards",
        MODERATES,
        {"flag_threshold": "3", "hold_first_posts": "0", "new_member_links": "2"},
    ),
    post(
        "/c/<slug>/manage/suspensions",
        f"/c/{OPEN}/manage/suspensions",
        MODERATES,
        lambda w, role: {
            "suspend-email": w.fresh_user_email_in(OPEN),
            "suspend-days": "3",
            "suspend-reason": "Spam.",
        },
    ),  # fmt: skip
    post(
        "/c/<slug>/manage/suspensions/<int:user_id>/lift",
        lambda w, role: f"/c/{OPEN}/manage/suspensions/{w.fresh_user()}/lift",
        MODERATES,
    ),
    # --- chat -----------------------------------------------------------------------------
    get("/chat/<name>", f"/chat/{OPEN}", SIGNED_IN),
    get("/chat/<name>", f"/chat/{CLOSED}", READS_CLOSED, note="members-only"),
    get("/chat/<name>", "/chat/event-{event}", SIGNED_IN, note="an event's room"),
    get(
        "/chat/<name>",
        "/chat/event-{closed_event}",
        READS_CLOSED,
        note="a members-only community's event's room",
    ),  # fmt: skip
    get(
        "/chat/<name>",
        "/chat/event-{hidden_event}",
        signed_in("missing"),
        note="a hidden event's room: nobody reads it",
    ),
    post(
        "/chat/<name>/send",
        f"/chat/{CLOSED}/send",
        signed_in("missing", member="ok", moderator="ok", admin="forbidden"),
        {"body": "Hi all", "client_id": "form-2"},
        note="members-only",
    ),  # fmt: skip
    post(
        "/chat/<name>/send",
        f"/chat/{OPEN}/send",
        TAKES_PART,
        {"body": "Hi all", "client_id": "form-1"},
    ),
    post(
        "/chat/<name>/mute",
        f"/chat/{OPEN}/mute",
        MODERATES,
        lambda w, role: {"user_id": str(w.users["author"]), "minutes": "5"},
    ),
    post(
        "/chat/<name>/mute",
        f"/chat/{OPEN}/mute",
        signed_in("forbidden", moderator="invalid", admin="invalid"),
        lambda w, role: {"user_id": str(w.users["admin2"]), "minutes": "5"},
        note="an admin",
    ),
    post(
        "/chat/<name>/mute",
        f"/chat/{ELSEWHERE}/mute",
        signed_in("forbidden", other_mod="ok", admin="ok"),
        lambda w, role: {"user_id": str(w.users["nonmember"]), "minutes": "5"},
        note="another community's room",
    ),
    post(
        "/chat/<name>/unmute/<int:user_id>",
        lambda w, role: w.mute("author") or f"/chat/{OPEN}/unmute/{w.users['author']}",
        MODERATES,
    ),
    # --- resources ------------------------------------------------------------------------
    get("/resources", "/resources", ANYONE),
    get("/c/<slug>/resources", f"/c/{OPEN}/resources", ANYONE),
    get("/c/<slug>/podcast.xml", f"/c/{OPEN}/podcast.xml", ANYONE),
    get("/c/<slug>/resources", f"/c/{CLOSED}/resources", SEES_CLOSED, note="members-only"),
    get("/c/<slug>/podcast.xml", f"/c/{CLOSED}/podcast.xml", SEES_CLOSED, note="members-only"),
    get("/resources/review", "/resources/review", SIGNED_IN, note="one's own submissions too"),
    get("/resources/new", "/resources/new", SIGNED_IN),
    post(
        "/resources/new",
        "/resources/new",
        signed_in("invalid", member="ok", moderator="ok", admin="ok"),
        resource_form,
    ),
    get("/resources/<int:resource_id>", "/resources/{resource}", ANYONE),
    get(
        "/resources/<int:resource_id>",
        "/resources/{closed_resource}",
        SEES_CLOSED,
        note="members-only",
    ),  # fmt: skip
    get(
        "/resources/<int:resource_id>/download",
        "/resources/{closed_resource}/download",
        SEES_CLOSED,
        note="members-only",
    ),  # fmt: skip
    get(
        "/resources/<int:resource_id>/versions/<int:number>/download",
        "/resources/{closed_resource}/versions/1/download",
        SEES_CLOSED,
        note="members-only",
    ),  # fmt: skip
    get(
        "/resources/<int:resource_id>/download",
        "/resources/{pending_resource}/download",
        expect("missing", moderator="ok", admin="ok"),
        note="waiting for review",
    ),  # fmt: skip
    get(
        "/resources/<int:resource_id>",
        "/resources/{pending_resource}",
        expect("missing", moderator="ok", admin="ok"),
        note="waiting for review",
    ),
    get("/resources/mine", "/resources/mine", SIGNED_IN, note="one's own submissions"),
    get(
        "/resources/<int:resource_id>/propose",
        "/resources/{resource}/propose",
        signed_in("forbidden"),
        note="its submitter (the author) only",
    ),
    post(
        "/resources/<int:resource_id>/propose",
        "/resources/{resource}/propose",
        signed_in("forbidden"),
        resource_form,
        note="its submitter (the author) only",
    ),
    get(
        "/resources/<int:resource_id>/proposals/<int:proposal_id>/download",
        lambda w, role: "/resources/{}/proposals/{}/download".format(*w.fresh_proposal()),
        signed_in("missing", moderator="ok", admin="ok"),
        note="the proposer's (the author's) and the curators' only",
    ),
    post(
        "/resources/<int:resource_id>/proposals/<int:proposal_id>/"
        "<any(approve, changes, reject):change>",
        lambda w, role: "/resources/{}/proposals/{}/approve".format(*w.fresh_proposal()),
        signed_in("missing", moderator="ok", admin="ok"),
    ),
    get("/resources/<int:resource_id>/edit", "/resources/{resource}/edit", MODERATES),
    post(
        "/resources/<int:resource_id>/edit",
        lambda w, role: f"/resources/{w.fresh_resource(published=True)}/edit",
        MODERATES,
        resource_form,
    ),
    post(
        "/resources/<int:resource_id>/versions",
        lambda w, role: f"/resources/{w.fresh_resource(published=True)}/versions",
        MODERATES,
        lambda w, role: {"file": (io.BytesIO(pdf_bytes()), "v2.pdf"), "note": "v2"},
    ),
    post(
        "/resources/<int:resource_id>/discuss",
        "/resources/{resource}/discuss",
        TAKES_PART,
        {"body": "Useful."},
    ),
    post(
        "/resources/<int:resource_id>/<any(approve, feature, unfeature, unarchive):change>",
        lambda w, role: f"/resources/{w.fresh_resource()}/approve",
        WAITING_RESOURCE,
    ),
    post(
        "/resources/<int:resource_id>/<any(reject, changes, archive):change>",
        lambda w, role: f"/resources/{w.fresh_resource()}/reject",
        WAITING_RESOURCE,
        {"reason": "Not about procurement."},
    ),
    get("/resources/<int:resource_id>/download", "/resources/{resource}/download", ANYONE),
    get(
        "/resources/<int:resource_id>/versions/<int:number>/download",
        "/resources/{resource}/versions/1/download",
        ANYONE,
    ),
    get(
        "/resources/<int:resource_id>/versions/<int:number>/play",
        "/resources/{podcast}/versions/1/play",
        ANYONE,
    ),
    # --- events ---------------------------------------------------------------------------
    get("/events", "/events", ANYONE),
    get("/events.ics", "/events.ics", ANYONE),
    get("/events/<int:event_id>", "/events/{event}", ANYONE),
    get("/events/<int:event_id>.ics", "/events/{event}.ics", ANYONE),
    get("/events/<int:event_id>", "/events/{closed_event}", SEES_CLOSED, note="members-only"),
    get(
        "/events/<int:event_id>.ics", "/events/{closed_event}.ics", SEES_CLOSED, note="members-only"
    ),  # fmt: skip
    get(
        "/events/<int:event_id>",
        "/events/{hidden_event}",
        expect("missing", moderator="ok", admin="ok"),
        note="hidden by moderation: its moderators still read it, marked",
    ),
    get(
        "/events/<int:event_id>.ics",
        "/events/{hidden_event}.ics",
        expect("missing", moderator="ok", admin="ok"),
        note="hidden by moderation",
    ),
    post(
        "/events/<int:event_id>/rsvp",
        "/events/{hidden_event}/rsvp",
        signed_in("missing", moderator="refused", admin="refused"),
        {"status": "going"},
        note="hidden by moderation: nobody answers",
    ),
    post(
        "/events/<int:event_id>/rsvp",
        "/events/{closed_event}/rsvp",
        signed_in("missing", member="ok", moderator="ok", admin="refused"),
        {"status": "going"},
        note="members-only",
    ),  # fmt: skip
    get(
        "/events/feed/<token>.ics",
        lambda w, role: f"/events/feed/{w.ids['feed_token_' + feed_owner(role)]}.ics",
        expect("ok", suspended="missing"),
        note="the role's own private link (a suspended member's stops)",
    ),
    get(
        "/events/<int:event_id>/attendees.csv",
        "/events/{event}/attendees.csv",
        expect("forbidden", moderator="ok", admin="ok"),
    ),
    get(
        "/events/<int:event_id>/attendees.csv",
        "/events/{closed_event}/attendees.csv",
        CLOSED_TO_OUTSIDERS,
        note="members-only",
    ),
    get(
        "/events/<int:event_id>/edit",
        "/events/{closed_event}/edit",
        CLOSED_TO_OUTSIDERS | {"anonymous": "login", "suspended": "login"},
        note="members-only",
    ),  # fmt: skip
    get(
        "/events/<int:event_id>/cancel",
        "/events/{closed_event}/cancel",
        CLOSED_TO_OUTSIDERS | {"anonymous": "login", "suspended": "login"},
        note="members-only",
    ),  # fmt: skip
    get(
        "/events/<int:event_id>/feedback",
        "/events/{closed_event}/feedback",
        expect(
            "missing",
            anonymous="login",
            suspended="login",
            member="forbidden",
            moderator="forbidden",
            admin="forbidden",
        ),
        note="members-only, not yet held",
    ),  # fmt: skip
    get("/events/new", "/events/new", ANY_MODERATOR),
    post("/events/new", "/events/new", MODERATES | {"other_mod": "invalid"}, event_form),
    get("/events/<int:event_id>/edit", "/events/{event}/edit", MODERATES),
    post(
        "/events/<int:event_id>/edit",
        lambda w, role: f"/events/{w.fresh_event()}/edit",
        MODERATES,
        event_form,
    ),
    get("/events/<int:event_id>/cancel", "/events/{event}/cancel", MODERATES),
    post(
        "/events/<int:event_id>/cancel",
        lambda w, role: f"/events/{w.fresh_event()}/cancel",
        MODERATES,
        {"reason": "Snow."},
    ),
    post(
        "/events/<int:event_id>/rsvp",
        "/events/{event}/rsvp",
        signed_in("refused", member="ok", moderator="ok"),
        {"status": "going"},
    ),
    get(
        "/events/<int:event_id>/feedback",
        "/events/{past_event}/feedback",
        signed_in("forbidden", member="ok"),
        note="attendees only",
    ),
    post(
        "/events/<int:event_id>/feedback",
        "/events/{past_event}/feedback",
        signed_in("forbidden", member="ok"),
        {"rating": "5", "comment": "Great."},
    ),
    post("/settings/calendar", "/settings/calendar", SIGNED_IN),
    post("/settings/calendar/revoke", "/settings/calendar/revoke", SIGNED_IN),
    # --- notifications --------------------------------------------------------------------
    get("/notifications", "/notifications", SIGNED_IN),
    post(
        "/notifications/<int:notification_id>/open",
        lambda w, role: f"/notifications/{own('notification')(w, role)}/open",
        SIGNED_IN,
    ),
    post(
        "/notifications/<int:notification_id>/open",
        lambda w, role: "/notifications/{}/open".format(
            w.ids["notification_admin" if role == "member" else "notification_member"]
        ),
        signed_in("missing"),
        note="another member's notification",
    ),
    post("/notifications/read", "/notifications/read", SIGNED_IN),
    # --- search, people, organisations, media ----------------------------------------------
    get("/search", "/search?q=thread", ANYONE),
    get("/members", "/members", SIGNED_IN),
    get("/u/<int:user_id>", "/u/{user_member}", SIGNED_IN),
    get("/orgs", "/orgs", ANYONE),
    get("/orgs/<slug>", "/orgs/{organisation}", ANYONE),
    get("/media/<sha256>", "/media/{media}", ANYONE),
    get("/media/new", "/media/new", CONFIRMED),
    post("/media/new", "/media/new", CONFIRMED, image),
    post(
        "/media",
        "/media",
        CONFIRMED | {"anonymous": "unauthorised", "suspended": "unauthorised"},
        image,
    ),  # fmt: skip
    get("/healthz", "/healthz", ANYONE),
    # --- admin ----------------------------------------------------------------------------
    get("/admin", "/admin", ADMINS),
    get("/admin/members/<int:user_id>", "/admin/members/{user_member}", ADMINS),
    get("/admin/members/<int:user_id>/digest", "/admin/members/{user_member}/digest", ADMINS),
    post(
        "/admin/members/<int:user_id>/suspend",
        lambda w, role: f"/admin/members/{w.fresh_user()}/suspend",
        ADMINS,
        {"reason": "Spam."},
    ),
    post(
        "/admin/members/<int:user_id>/suspend",
        lambda w, role: f"/admin/members/{w.fresh_user(admin=True)}/suspend",
        ADMINS,
        {"reason": "Spam."},
        note="another admin: only an admin may",
    ),
    post(
        "/admin/members/<int:user_id>/suspend",
        lambda w, role: f"/admin/members/{self_id(w, role)}/suspend",
        signed_in("forbidden"),
        {"reason": "Spam."},
        note="oneself",
    ),
    post(
        "/admin/members/<int:user_id>/unsuspend",
        lambda w, role: f"/admin/members/{w.fresh_user(suspended=True)}/unsuspend",
        ADMINS,
    ),
    # Registrations, roles and invitations (issue 16).
    get("/admin/members", "/admin/members", ADMINS),
    post(
        "/admin/members/<int:user_id>/role",
        lambda w, role: f"/admin/members/{w.fresh_user()}/role",
        ADMINS,
        {"role": "admin"},
    ),
    post(
        "/admin/members/<int:user_id>/role",
        lambda w, role: f"/admin/members/{w.fresh_user(admin=True)}/role",
        ADMINS,
        {"role": "member"},
        note="another admin's role taken back",
    ),
    post(
        "/admin/members/<int:user_id>/approve",
        lambda w, role: f"/admin/members/{w.fresh_pending_user()}/approve",
        ADMINS,
    ),
    post(
        "/admin/members/<int:user_id>/decline",
        lambda w, role: f"/admin/members/{w.fresh_pending_user()}/decline",
        ADMINS,
    ),
    post(
        "/admin/members/<int:user_id>/resend-verification",
        lambda w, role: f"/admin/members/{w.fresh_unverified_user()}/resend-verification",
        ADMINS,
    ),
    get("/admin/settings", "/admin/settings", ADMINS),
    post(
        "/admin/settings",
        "/admin/settings",
        ADMINS,
        {"site_name": "Commons", "registration_mode": "open"},
        note="saved as they are",
    ),
    get("/admin/invitations", "/admin/invitations", ADMINS),
    post(
        "/admin/invitations", "/admin/invitations", ADMINS, lambda w, role: {"email": fresh_email()}
    ),
    post(
        "/admin/invitations/<int:invitation_id>/resend",
        lambda w, role: f"/admin/invitations/{w.fresh_invitation().id}/resend",
        ADMINS,
    ),
    post(
        "/admin/invitations/<int:invitation_id>/revoke",
        lambda w, role: f"/admin/invitations/{w.fresh_invitation().id}/revoke",
        ADMINS,
    ),
    get(
        "/auth/invitation/<token>",
        lambda w, role: f"/auth/invitation/{w.fresh_invitation().sent_token}",
        ANYONE,
    ),
    post(
        "/auth/invitation/<token>",
        lambda w, role: f"/auth/invitation/{w.fresh_invitation().sent_token}",
        ANYONE,
        {
            "display_name": "Invited Person",
            "organisation": "other",
            "organisation_other": "Some Org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        last=True,
        relogin=True,
        note="the signed-in are sent home; the signed out join and are signed in",
    ),  # fmt: skip
    # --- site pages (community/pages) ---------------------------------------------------
    get("/pages/<slug>", lambda w, role: f"/pages/{fresh_page(w, role)}", ANYONE),
    get("/pages/<slug>", "/pages/no-such-page", expect("missing"), note="no such page"),
    get("/admin/pages", "/admin/pages", ADMINS),
    get("/admin/pages/new", "/admin/pages/new", ADMINS),
    post("/admin/pages/new", "/admin/pages/new", ADMINS, page_form),
    get("/admin/pages/<slug>/edit", page_path("/edit"), ADMINS),
    get(
        "/admin/pages/<slug>/edit",
        "/admin/pages/no-such-page/edit",
        signed_in("forbidden", admin="missing"),
        note="no such page",
    ),
    post(
        "/admin/pages/<slug>/edit",
        page_path("/edit"),
        ADMINS,
        lambda w, role: {**page_form(w, role), "body": "Changed."},
    ),
    get("/admin/pages/<slug>/delete", page_path("/delete"), ADMINS),
    post("/admin/pages/<slug>/delete", page_path("/delete"), ADMINS),
    get("/admin/pages/<slug>/revisions", page_path("/revisions"), ADMINS),
    get("/admin/pages/<slug>/revisions/<int:number>", page_path("/revisions/1"), ADMINS),
    post(
        "/admin/pages/<slug>/revisions/<int:number>/restore",
        page_path("/revisions/1/restore", saves=2),
        ADMINS,
    ),
    # --- network health (tests/network_health/) -------------------------------------------
    get("/admin/health", "/admin/health", ADMINS),
    get("/admin/health.csv", "/admin/health.csv?table=weekly", ADMINS),
    post("/admin/health/refresh", "/admin/health/refresh", ADMINS),
    get("/health", health_public(False), expect("missing"), note="switched off (the default)"),
    get("/health", health_public(True), ANYONE, note="switched on by an admin"),
    # --- settings -------------------------------------------------------------------------
    get("/settings", "/settings", SIGNED_IN),
    post(
        "/settings/profile",
        "/settings/profile",
        SIGNED_IN,
        {
            "display_name": "New Name",
            "organisation": "other",
            "organisation_other": "Some Org",
            "bio": "",
            "timezone": "Europe/London",
        },
    ),
    post(
        "/settings/avatar",
        "/settings/avatar",
        CONFIRMED,
        lambda w, role: {"picture": (io.BytesIO(image_bytes("PNG")), "me.png")},
    ),
    post("/settings/avatar/remove", "/settings/avatar/remove", SIGNED_IN),
    post(
        "/settings/email",
        "/settings/email",
        SIGNED_IN,
        lambda w, role: {"new_email": fresh_email(), "current_password": PASSWORD},
    ),
    post(
        "/settings/email-choices",
        "/settings/email-choices",
        SIGNED_IN,
        AsShown("/settings", "/settings/email-choices", {"digest_frequency": "daily"}),
    ),
    post("/settings/email-confirm-working", "/settings/email-confirm-working", SIGNED_IN),
    post("/settings/sessions", "/settings/sessions", SIGNED_IN),
    # --- accounts: open to everyone (a signed-in member is sent on) -------------------------
    get("/auth/register", "/auth/register", ANYONE),
    post(
        "/auth/register",
        "/auth/register",
        ANYONE,
        lambda w, role: AsShown(
            "/auth/register",
            "/auth/register",
            {
                "email": fresh_email(),
                "display_name": "New Person",
                "organisation": "other",
                "organisation_other": "Some Org",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        ),
    ),
    get("/auth/login", "/auth/login", ANYONE),
    post(
        "/auth/login",
        "/auth/login",
        expect("ok", suspended="forbidden"),
        login_data,
        last=True,
        relogin=True,
    ),
    get("/auth/logout", "/auth/logout", ANYONE),
    post("/auth/logout", "/auth/logout", ANYONE, last=True, relogin=True),
    get("/auth/reset", "/auth/reset", ANYONE),
    post("/auth/reset", "/auth/reset", ANYONE, lambda w, role: {"email": w.user("author").email}),
    get("/auth/reset/<token>", "/auth/reset/{reset_token}", ANYONE),
    post(
        "/auth/reset/<token>",
        "/auth/reset/{reset_token}",
        ANYONE,
        {"password": PASSWORD, "confirm": PASSWORD},
        last=True,
        relogin=True,
    ),
    get("/auth/verify/<token>", lambda w, role: f"/auth/verify/{w.fresh_verify_token()}", ANYONE),
    post(
        "/auth/verify/<token>",
        lambda w, role: f"/auth/verify/{w.fresh_verify_token()}",
        ANYONE,
        last=True,
        relogin=True,
    ),
    get("/auth/email/<token>", "/auth/email/{email_token}", ANYONE),
    post(
        "/auth/email/<token>",
        "/auth/email/{email_token}",
        expect("ok", anonymous="login", suspended="login"),
        last=True,
        relogin=True,
        note="confirmed; the signed out are then asked to sign in",
    ),
    # --- announcements (g-announce) -----------------------------------------------------------
    get("/admin/announcements", "/admin/announcements", ADMINS),
    get("/admin/announcements/new", "/admin/announcements/new", ADMINS),
    post("/admin/announcements/new", "/admin/announcements/new", ADMINS, announcement_form),
    get("/admin/announcements/<int:announcement_id>", announcement_path(), ADMINS),
    post(
        "/admin/announcements/<int:announcement_id>",
        announcement_path(),
        ADMINS,
        announcement_form,
        note="edited",
    ),  # fmt: skip
    post(
        "/admin/announcements/<int:announcement_id>/withdraw",
        announcement_path("/withdraw"),
        ADMINS,
    ),  # fmt: skip
    get("/admin/announcements/<int:announcement_id>/email", announcement_path("/email"), ADMINS),
    post(
        "/admin/announcements/<int:announcement_id>/email",
        announcement_path("/email"),
        ADMINS,
        note="sent: once, to every member",
    ),  # fmt: skip
    post(
        "/announcements/<int:announcement_id>/dismiss",
        announcement_path("/dismiss", prefix=""),
        expect("ok", anonymous="forbidden", suspended="forbidden"),
        note="for everyone: any signed-in member; nothing is kept for the signed out",
    ),
    post(
        "/announcements/<int:announcement_id>/dismiss",
        announcement_path("/dismiss", audience=CLOSED, prefix=""),
        expect(
            "missing", anonymous="forbidden", suspended="forbidden", member="ok", moderator="ok"
        ),  # fmt: skip
        note="for the members of `closed` only",
    ),
    # --- end of announcements (g-announce) -------------------------------------------------------
    get("/unsubscribe/<token>", "/unsubscribe/{unsubscribe_token}", ANYONE),
    post("/unsubscribe/<token>", "/unsubscribe/{unsubscribe_token}", ANYONE),
    # The very last: the role's password is no longer the one they sign in with.
    post(
        "/settings/password",
        "/settings/password",
        SIGNED_IN,
        {"current_password": PASSWORD, "new_password": PASSWORD + "!", "confirm": PASSWORD + "!"},
        last=True,
    ),
]

# --- admin: organisations and communities (/admin/organisations, /admin/communities) -------
_made = itertools.count(1)


def fresh_organisation(w: World, role: str) -> int:
    """A new organisation (with nobody in it); its id, kept as `org_<role>` too."""
    from community.accounts.actions import create_organisation

    with atomic():
        org = create_organisation(name=f"Fresh organisation {next(_made)}")
        db.session.flush()
        w.ids[f"org_{role}"] = org.id
        return org.id


ROWS += [
    get("/admin/organisations", "/admin/organisations", ADMINS),
    get("/admin/organisations", "/admin/organisations?q=fresh", ADMINS, note="a search"),
    get("/admin/organisations/new", "/admin/organisations/new", ADMINS),
    post(
        "/admin/organisations/new",
        "/admin/organisations/new",
        ADMINS,
        lambda w, role: {"name": f"Added organisation {next(_made)}", "kind": "council"},
    ),
    post(
        "/admin/organisations/new",
        "/admin/organisations/new",
        signed_in("forbidden", admin="invalid"),
        {"name": "", "website": "ftp://example.org"},
        note="no name",
    ),
    get(
        "/admin/organisations/<int:org_id>/edit",
        lambda w, role: f"/admin/organisations/{fresh_organisation(w, role)}/edit",
        ADMINS,
    ),
    get(
        "/admin/organisations/<int:org_id>/edit",
        "/admin/organisations/999999/edit",
        signed_in("forbidden", admin="missing"),
        note="no such organisation",
    ),
    post(
        "/admin/organisations/<int:org_id>/edit",
        lambda w, role: f"/admin/organisations/{fresh_organisation(w, role)}/edit",
        ADMINS,
        lambda w, role: {"name": f"Renamed organisation {next(_made)}", "region": "Wales"},
    ),
    get(
        "/admin/organisations/<int:org_id>/merge",
        lambda w, role: f"/admin/organisations/{fresh_organisation(w, role)}/merge",
        ADMINS,
    ),
    get(
        "/admin/organisations/<int:org_id>/merge",
        lambda w, role: (
            f"/admin/organisations/{fresh_organisation(w, role)}/merge"
            f"?survivor={w.ids[f'org_{role}']}"
        ),
        signed_in("forbidden", admin="invalid"),
        note="the confirmation, into itself",
    ),
    get(
        "/admin/organisations/<int:org_id>/merge",
        lambda w, role: (
            f"/admin/organisations/{fresh_organisation(w, role)}/merge"
            f"?survivor={fresh_organisation(w, role)}"
        ),
        ADMINS,
        note="the confirmation",
    ),
    post(
        "/admin/organisations/<int:org_id>/merge",
        lambda w, role: f"/admin/organisations/{fresh_organisation(w, role)}/merge",
        ADMINS,
        lambda w, role: {"survivor": str(fresh_organisation(w, role))},
    ),
    post(
        "/admin/organisations/<int:org_id>/merge",
        lambda w, role: f"/admin/organisations/{fresh_organisation(w, role)}/merge",
        signed_in("forbidden", admin="invalid"),
        lambda w, role: {"survivor": str(w.ids[f"org_{role}"])},
        note="into itself",
    ),
    get("/admin/communities", "/admin/communities", ADMINS),
    get("/admin/communities/new", "/admin/communities/new", ADMINS),
    post(
        "/admin/communities/new",
        "/admin/communities/new",
        ADMINS,
        lambda w, role: {
            "name": "Made here",
            "slug": f"made-{next(_made)}",
            "description": "",
            "visibility": "public",
        },
    ),
    post(
        "/admin/communities/new",
        "/admin/communities/new",
        signed_in("forbidden", admin="invalid"),
        {"name": "Reserved", "slug": "event-1", "visibility": "public"},
        note="a reserved address",
    ),
    get("/admin/communities/<slug>/edit", f"/admin/communities/{OPEN}/edit", ADMINS),
    get(
        "/admin/communities/<slug>/edit",
        f"/admin/communities/{CLOSED}/edit",
        ADMINS,
        note="members-only",
    ),
    post(
        "/admin/communities/<slug>/edit",
        lambda w, role: f"/admin/communities/{w.fresh_community()}/edit",
        ADMINS,
        {"name": "Renamed community", "description": "New words."},
    ),
    post(
        "/admin/communities/<slug>/move",
        lambda w, role: f"/admin/communities/{w.fresh_community()}/move",
        ADMINS,
        {"direction": "up"},
    ),
    post(
        "/admin/communities/<slug>/move",
        f"/admin/communities/{OPEN}/move",
        signed_in("forbidden", admin="invalid"),
        {"direction": "sideways"},
        note="neither up nor down",
    ),
]

# Socket.IO: the anonymous and the suspended cannot connect at all.
CONNECTED = expect("ok", anonymous="refused", suspended="refused")


def connected(default: str = "ok", **by_role: str) -> dict[str, str]:
    return expect(default, anonymous="refused", suspended="refused", **by_role)


READS_CLOSED_LIVE = connected("error", member="ok", moderator="ok", admin="ok")


def room(name: str) -> Callable[[World, str], dict]:
    return lambda w, role: {"room": name}


def fresh_message(w: World, role: str) -> dict:
    return {"room": OPEN, "id": w.fresh_chat_message()}


EVENT_ROWS: list[EventRow] = [
    EventRow("connect", None, CONNECTED),
    EventRow("chat.join", room(OPEN), CONNECTED),
    EventRow(
        "chat.join",
        room(CLOSED),
        READS_CLOSED_LIVE,
        note="members-only",
    ),
    EventRow("chat.leave", room(OPEN), CONNECTED),
    EventRow(
        "chat.send",
        lambda w, role: {"room": OPEN, "body": "Hello", "client_id": f"sock-{role}"},
        connected("error", member="ok", moderator="ok"),
    ),
    EventRow("chat.since", lambda w, role: {"room": OPEN, "after_id": 0}, CONNECTED),
    EventRow("chat.history", lambda w, role: {"room": OPEN, "before_id": 1000}, CONNECTED),
    EventRow(
        "chat.since",
        lambda w, role: {"room": CLOSED, "after_id": 0},
        READS_CLOSED_LIVE,
        note="members-only",
    ),
    EventRow(
        "chat.history",
        lambda w, role: {"room": CLOSED, "before_id": 1000},
        READS_CLOSED_LIVE,
        note="members-only",
    ),
    EventRow(
        "chat.send",
        lambda w, role: {"room": CLOSED, "body": "Hello", "client_id": f"closed-{role}"},
        connected("error", member="ok", moderator="ok"),
        note="members-only",
    ),
    EventRow(
        "chat.edit",
        lambda w, role: {**fresh_message(w, role), "body": "Changed"},
        connected("error"),
        note="another's message",
    ),
    EventRow("chat.delete", fresh_message, connected("error", moderator="ok", admin="ok")),
    EventRow("chat.read", fresh_message, CONNECTED),
    EventRow("chat.typing", room(OPEN), connected("error", member="ok", moderator="ok")),
    EventRow("thread.open", lambda w, role: {"thread_id": w.thread}, CONNECTED),
    EventRow(
        "thread.open",
        lambda w, role: {"thread_id": w.closed_thread},
        connected("error", member="ok", moderator="ok", admin="ok"),
        note="members-only",
    ),
    EventRow("thread.close", lambda w, role: {"thread_id": w.thread}, CONNECTED),
    EventRow("notification.count", {}, CONNECTED),
    EventRow(
        "moderation.count", {}, connected("error", other_mod="ok", moderator="ok", admin="ok")
    ),
    EventRow("disconnect", None, CONNECTED),
]


__all__ = ["EVENT_ROWS", "ROWS", "AsShown", "EventRow", "Row"]
