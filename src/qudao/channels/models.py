"""The tree of sales channels (渠道)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, IdMixin, TimestampMixin


class Channel(IdMixin, TimestampMixin, Base):
    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    archived_at: Mapped[datetime | None] = mapped_column()
