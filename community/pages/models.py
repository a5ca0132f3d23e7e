"""Site pages (/pages/<slug>): about, privacy, terms, contact and any an admin adds, written
in Markdown, each edit kept as a revision."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import utcnow
from ..extensions import db


class SitePage(db.Model):
    __tablename__ = "site_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered by markup.render
    in_footer: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)  # order in the footer
    revision_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class SitePageRevision(db.Model):
    """A page as one save left it: 1, 2, 3…"""

    __tablename__ = "site_page_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("site_page.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("page_id", "number"),)
