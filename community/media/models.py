"""Images in posts and profile pictures."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class MediaFile(db.Model):
    """An image uploaded for a post or as a profile picture, served at /media/<sha256>.

    Only hashes recorded here are served there: resource files, whose readers are checked
    on every download, never are.
    """

    __tablename__ = "media_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    extension: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
