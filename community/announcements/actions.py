"""What admins do with announcements (create, edit, withdraw, send by email once) and what a
member does with one (dismiss its banner). Admins only, except dismissing."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import markup
from ..accounts.rules import one_line, require_admin
from ..communities.models import Community
from ..db import insert_for_session, utcnow
from ..errors import Invalid, NotFound
from ..events.rules import to_utc
from ..extensions import db
from ..ids import as_id
from ..moderation.audit import record
from .models import Announcement, AnnouncementDismissal

TITLE_MAX = 160
BODY_MAX = 10_000
EVERYONE = "everyone"


@dataclass
class AnnouncementDetails:
    """What the admin's form gives: the banner's times as typed, in `timezone`."""

    title: str
    body: str
    audience: str  # EVERYONE, a community's slug, or "" (not chosen)
    banner_from: datetime | None = None  # wall-clock, naive
    banner_until: datetime | None = None
    timezone: str = "UTC"


def access_announcement(actor, announcement_id) -> Announcement:
    """An announcement, for an admin (Forbidden for anyone else, NotFound when none)."""
    require_admin(actor)
    found = db.session.get(Announcement, as_id(announcement_id)) if as_id(announcement_id) else None
    if found is None:
        raise NotFound("We could not find that announcement.")
    return found


def audience_choices() -> list[Community]:
    """The communities an announcement may be for (not archived)."""
    return list(
        db.session.scalars(
            select(Community)
            .where(Community.archived_at.is_(None))
            .order_by(Community.position, Community.id)
        )
    )


def check_title(value: str) -> str:
    title = one_line(value)
    if not title:
        raise Invalid("Give the announcement a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def check_body(value: str) -> str:
    body = (value if isinstance(value, str) else "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("Write what the announcement says.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"An announcement has at most {BODY_MAX:,} characters.", field="body")
    return body


def check_audience(value: str | None) -> int | None:
    """None for everyone, else the community's id."""
    if value == EVERYONE:
        return None
    if not value:
        raise Invalid("Choose who it is for.", field="audience")
    community = db.session.scalar(
        select(Community).where(Community.slug == value, Community.archived_at.is_(None))
    )
    if community is None:
        raise Invalid("Choose who it is for: that community is not on the list.", field="audience")
    return community.id


def check_banner(
    start: datetime | None, end: datetime | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """The banner's window (typed in `zone`) in UTC: both ends or neither, the end after
    the start."""
    if start is None and end is None:
        return None, None
    if start is None or end is None:
        raise Invalid(
            "Give both the banner's start and its end, or neither (no banner).",
            field="banner_from" if start is None else "banner_until",
        )
    start = to_utc(start, zone, field="banner_from")
    end = to_utc(end, zone, field="banner_until")
    if end <= start:
        raise Invalid("The banner's end comes before its start.", field="banner_until")
    return start, end


def _checked(details: AnnouncementDetails) -> dict:
    """Every field checked, the first problem raised (the form shows each field's own)."""
    values = dict(
        title=check_title(details.title),
        body=check_body(details.body),
        community_id=check_audience(details.audience),
    )
    values["banner_from"], values["banner_until"] = check_banner(
        details.banner_from, details.banner_until, details.timezone
    )
    return values


def create_announcement(actor, details: AnnouncementDetails) -> Announcement:
    """A new announcement (its banner shows in its window). Admins only."""
    require_admin(actor)
    values = _checked(details)
    if values["banner_until"] is not None and values["banner_until"] <= utcnow():
        raise Invalid("The banner's end has already passed.", field="banner_until")
    now = utcnow()
    announcement = Announcement(
        **values, body_html=markup.render(values["body"]), created_by_id=actor.id,
        created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(announcement)
    db.session.flush()
    record(actor, "announcement.create", ("announcement", announcement.id),
           community=values["community_id"], title=announcement.title)  # fmt: skip
    return announcement


CHANGE_NAMES = {
    "title": "title",
    "body": "text",
    "community_id": "audience",
    "banner_from": "banner dates",
    "banner_until": "banner dates",
}


def edit_announcement(actor, announcement_id, details: AnnouncementDetails) -> Announcement:
    """Change an announcement not withdrawn. Once its email is asked for, its audience is
    the email's and no longer changes. Admins only."""
    announcement = access_announcement(actor, announcement_id)
    if announcement.withdrawn_at is not None:
        raise Invalid("This announcement was withdrawn: it can no longer change.")
    values = _checked(details)
    if (
        announcement.email_requested_at is not None
        and values["community_id"] != announcement.community_id
    ):
        raise Invalid(
            "Its email has been sent to this audience: the audience can no longer change.",
            field="audience",
        )
    window = (values["banner_from"], values["banner_until"])
    if (
        window != (announcement.banner_from, announcement.banner_until)
        and values["banner_until"] is not None
        and values["banner_until"] <= utcnow()
    ):
        raise Invalid("The banner's end has already passed.", field="banner_until")
    changes = []
    for name, value in values.items():
        if getattr(announcement, name) != value:
            setattr(announcement, name, value)
            if CHANGE_NAMES[name] not in changes:
                changes.append(CHANGE_NAMES[name])
    if not changes:
        return announcement
    announcement.body_html = markup.render(announcement.body)
    announcement.updated_at = utcnow()
    record(actor, "announcement.edit", ("announcement", announcement.id),
           community=announcement.community_id, changes=changes)  # fmt: skip
    return announcement


def withdraw_announcement(actor, announcement_id) -> Announcement:
    """Take an announcement down: its banner goes at once and what is left of its email is
    not queued (mail already queued still leaves). Admins only."""
    announcement = access_announcement(actor, announcement_id)
    if announcement.withdrawn_at is not None:
        raise Invalid("This announcement was already withdrawn.")
    announcement.withdrawn_at = utcnow()
    record(actor, "announcement.withdraw", ("announcement", announcement.id),
           community=announcement.community_id)  # fmt: skip
    return announcement


def request_email(actor, announcement_id) -> Announcement:
    """Ask for the one-off email to the announcement's audience (the job queues it in
    batches). Once only; never for a withdrawn announcement. Admins only."""
    from .recipients import counts  # (its queries import the digests' choices)

    announcement = access_announcement(actor, announcement_id)
    if announcement.withdrawn_at is not None:
        raise Invalid("This announcement was withdrawn: it can no longer be sent.")
    if announcement.email_requested_at is not None:
        raise Invalid("Its email has already been asked for: an announcement goes out once.")
    figures = counts(announcement)
    if not figures.by_email:
        raise Invalid("Nobody would get this email now: there is nobody to send it to.")
    announcement.email_requested_at = utcnow()
    announcement.email_total = figures.by_email
    record(actor, "announcement.email", ("announcement", announcement.id),
           community=announcement.community_id, recipients=figures.by_email)  # fmt: skip
    return announcement


# --- members ---------------------------------------------------------------------------------


def shown_to(user, announcement: Announcement) -> bool:
    """Whether the announcement is for `user` (a signed-in member): everyone's, or one of
    their communities'."""
    from ..communities.models import Membership

    if announcement.community_id is None:
        return True
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == user.id,
                Membership.community_id == announcement.community_id,
            )
        )
        is not None
    )


def dismiss(user, announcement_id) -> None:
    """Hide an announcement's banner for this member from now on (idempotent). Any signed-in
    member it is for."""
    if user is None or not user.is_authenticated:
        from ..errors import Forbidden

        raise Forbidden("Sign in to dismiss announcements.")
    found = db.session.get(Announcement, as_id(announcement_id)) if as_id(announcement_id) else None
    if found is None or found.withdrawn_at is not None or not shown_to(user, found):
        raise NotFound("We could not find that announcement.")
    db.session.execute(
        insert_for_session(AnnouncementDismissal)
        .values(announcement_id=found.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["announcement_id", "user_id"])
    )
