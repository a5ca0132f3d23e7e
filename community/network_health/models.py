"""The network health rollup: figures kept per day, refreshed by a registered job, so the
health pages read a few thousand rows whatever the size of the site.

`0` in community_id / organisation_id means "none" (a network-wide event, a member of no
listed organisation); the rows carry no foreign keys, and the job rebuilds the days it is
told are stale (an organisation merge marks them all)."""

from datetime import date, datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class HealthDay(db.Model):
    """An additive figure for one day, community and organisation: threads, posts, chat
    messages, new members, resources published and downloaded, attendance, feedback."""

    __tablename__ = "health_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    community_id: Mapped[int] = mapped_column(primary_key=True, default=0)
    organisation_id: Mapped[int] = mapped_column(primary_key=True, default=0)
    value: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_health_day_metric_day", "metric", "day"),)


class HealthActive(db.Model):
    """A member who did something (posted, chatted, reacted, answered an event…) on a day
    in a community: active members over any range are the distinct members here."""

    __tablename__ = "health_active"

    day: Mapped[date] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(primary_key=True, default=0)

    __table_args__ = (Index("ix_health_active_user", "user_id", "day"),)


class HealthPair(db.Model):
    """Exchanges between members of two different organisations on a day (kind "reply" or
    "chat"), the lower organisation id first."""

    __tablename__ = "health_pair"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    org_low: Mapped[int] = mapped_column(primary_key=True)
    org_high: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class HealthState(db.Model):
    """One row: when the rollup was last refreshed, and from which day it must recompute."""

    __tablename__ = "health_state"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    refreshed_at: Mapped[datetime | None]
    stale_from: Mapped[date | None]
