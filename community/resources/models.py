"""The resource bank: shared outputs of the network, curated by moderators."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db

KINDS = {
    "policy-paper": "Policy paper",
    "consultation-response": "Consultation response",
    "case-study": "Case study",
    "podcast": "Podcast",
    "toolkit": "Toolkit",
    "evaluation-report": "Evaluation report",
    "publication": "Publication",
    "marketing-material": "Marketing material",
    "event-record": "Event record",
    "other": "Other",
}
LICENCES = {
    "all-rights-reserved": "All rights reserved",
    "cc-by-4.0": "Creative Commons Attribution 4.0 (CC BY 4.0)",
    "cc-by-sa-4.0": "Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)",
    "cc-by-nc-4.0": "Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0)",
    "ogl-3.0": "Open Government Licence v3.0",
    "public-domain": "Public domain",
    "unknown": "Not known",
}
# pending → published | rejected | changes_requested (→ pending again when its submitter
# saves it); published ⇄ archived.
STATUSES = ("pending", "changes_requested", "published", "rejected", "archived")
STATUS_LABELS = {
    "pending": "Awaiting review",
    "changes_requested": "Changes requested",
    "published": "Published",
    "rejected": "Rejected",
    "archived": "Archived",
}
LISTED = ("published",)  # in the bank's lists, feeds, search and digests
VISIBLE_TO_READERS = ("published", "archived")  # open to every reader of its communities


class Resource(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Lower-cased title: the "by title" sort and its keyset.
    sort_title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    featured: Mapped[bool] = mapped_column(default=False)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    # The publication date to the precision known: a year, or a year and a month. Stored as
    # the first day of that period (the sort key); `date_precision` says how to show it.
    published_on: Mapped[date | None]
    date_precision: Mapped[str] = mapped_column(String(5), default="year")  # year, month
    licence: Mapped[str] = mapped_column(String(30), default="unknown")
    link_url: Mapped[str | None] = mapped_column(String(500))
    # Archive entries whose document is not held ("original document not held").
    availability_note: Mapped[str] = mapped_column(String(200), default="")
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("thread.id", ondelete="SET NULL"), index=True
    )
    download_count: Mapped[int] = mapped_column(default=0)
    version_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # Out of members' view until a moderator decides: "flags" (enough members flagged it)
    # or "moderator" (a moderator hid it). Moderators still see it, marked.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(20), default="")

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    submitter: Mapped[User | None] = relationship(lazy="joined")
    communities: Mapped[list[Community]] = relationship(
        secondary="resource_community", order_by="Community.position", lazy="selectin"
    )
    tags: Mapped[list["ResourceTag"]] = relationship(
        order_by="ResourceTag.name", lazy="selectin", cascade="all, delete-orphan"
    )
    versions: Mapped[list["ResourceVersion"]] = relationship(
        order_by="ResourceVersion.number.desc()", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_resource_status_date", "status", "published_on", "id"),
        Index("ix_resource_status_downloads", "status", "download_count", "id"),
        Index("ix_resource_status_title", "status", "sort_title", "id"),
    )

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def licence_label(self) -> str:
        return LICENCES.get(self.licence, self.licence)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def date_label(self) -> str:
        if self.published_on is None:
            return ""
        if self.date_precision == "month":
            return self.published_on.strftime("%B %Y")
        return str(self.published_on.year)

    @property
    def date_value(self) -> str:
        """The date as typed in the form: "2006" or "2006-09"."""
        if self.published_on is None:
            return ""
        if self.date_precision == "month":
            return self.published_on.strftime("%Y-%m")
        return str(self.published_on.year)

    @property
    def latest_version(self) -> "ResourceVersion | None":
        return self.versions[0] if self.versions else None

    # In view: what every reader of its communities may see. Hidden by moderation, a
    # resource is out of every list and page at once, whatever its status; only its
    # submitter and curators still open it (actions.can_view), marked.
    @classmethod
    def in_view(cls, statuses: tuple[str, ...] = LISTED):
        """A WHERE clause: in one of `statuses` (listed: published) and not hidden. Every
        list, feed, count and digest of resources uses it."""
        return cls.status.in_(statuses) & cls.hidden_at.is_(None)

    @property
    def is_in_view(self) -> bool:
        """Listed: published and not hidden (what search indexes, what may be flagged)."""
        return self.status in LISTED and self.hidden_at is None

    @property
    def is_open_to_readers(self) -> bool:
        """Published or archived, and not hidden: its page is open to every reader."""
        return self.status in VISIBLE_TO_READERS and self.hidden_at is None

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.status}>"


class ResourceCommunity(db.Model):
    __tablename__ = "resource_community"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ResourceTag(db.Model):
    __tablename__ = "resource_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    slug: Mapped[str] = mapped_column(String(40), index=True)

    __table_args__ = (UniqueConstraint("resource_id", "slug"),)


class ResourceVersion(db.Model):
    """One uploaded file of a resource: 1, 2, 3… Earlier versions stay downloadable."""

    __tablename__ = "resource_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))  # a display name only, never a path
    content_type: Mapped[str] = mapped_column(String(120))
    file_kind: Mapped[str] = mapped_column(String(20))  # image, audio, document
    size: Mapped[int]
    note: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("resource_id", "number"),)


class ResourceEvent(db.Model):
    """The resource's history of state changes: who, when, and why."""

    __tablename__ = "resource_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


# A proposal: pending → approved | rejected | changes_requested (→ pending again when its
# proposer saves it).
PROPOSAL_OPEN = ("pending", "changes_requested")
PROPOSAL_STATUS_LABELS = {
    "pending": "Awaiting review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "rejected": "Not accepted",
}


class ResourceProposal(db.Model):
    """A new version of a published resource proposed by its submitter: edited details, a
    new file, or both. It waits for a moderator as a submission does; approving it gives the
    resource the proposed details and adds the file as its next version."""

    __tablename__ = "resource_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # The describing fields as the form gave them (actions.Details, communities aside).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # The proposed file, when there is one: stored, but served only to the proposer and
    # the resource's curators until the proposal is approved.
    sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(120))
    file_kind: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # the latest decision's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)  # its latest sending
    decided_at: Mapped[datetime | None]

    resource: Mapped[Resource] = relationship(lazy="joined")
    proposer: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_resource_proposal_status", "status", "submitted_at"),)

    @property
    def is_open(self) -> bool:
        return self.status in PROPOSAL_OPEN

    @property
    def status_label(self) -> str:
        return PROPOSAL_STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<ResourceProposal {self.id} of {self.resource_id} {self.status}>"


class ResourceDownloadDay(db.Model):
    """How many times a resource's files were downloaded on one day (UTC): the network
    health figures read these, never a log of every download."""

    __tablename__ = "resource_download_day"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_resource_download_day_day", "day"),)
