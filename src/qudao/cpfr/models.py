"""CPFR tables: versioned partner forecast submissions, their lines, the consensus per line and its overrides.

A *line* is one SKU x location x channel x period (a week labelled by its Monday, or a month by its first
day). The location's owner is the line's partner. ``ConsensusLine`` keeps the partner's current number
(from the newest submission that sent the line) and any override; the statistical number is not stored
but read from the newest succeeded forecast run when asked, so a new run moves the default consensus.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.db import Base, BigId, IdMixin, Quantity, utcnow


class PartnerForecastSubmission(IdMixin, Base):
    """One submission of a partner's forecast: a version (1, 2, ... per partner), who sent it and when."""

    __tablename__ = "cpfr_submissions"
    __table_args__ = (UniqueConstraint("partner_id", "version", name="uq_cpfr_submissions_partner_version"),)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # api | file | web
    filename: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerForecastLine(IdMixin, Base):
    """One line of a submission, kept as sent (the versioned row set)."""

    __tablename__ = "cpfr_partner_forecasts"
    __table_args__ = (Index("ix_cpfr_partner_forecasts_submission", "submission_id"),)

    submission_id: Mapped[int] = mapped_column(BigId, ForeignKey("cpfr_submissions.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    grain: Mapped[str] = mapped_column(String(10))  # week | month
    period_start: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class ConsensusLine(IdMixin, Base):
    """The agreed quantity of one line: the override when there is one, else the default rule
    (``qudao.cpfr.queries`` explains it)."""

    __tablename__ = "cpfr_consensus_lines"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id", "channel_id", "grain", "period_start",
                         name="uq_cpfr_consensus_lines_line"),
        Index("ix_cpfr_consensus_lines_partner", "partner_id", "period_start"),
    )

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    partner_quantity: Mapped[Decimal] = mapped_column(Quantity)
    submission_id: Mapped[int] = mapped_column(BigId, ForeignKey("cpfr_submissions.id"))
    override_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_by: Mapped[str] = mapped_column(String(120), default="")
    overridden_at: Mapped[datetime | None] = mapped_column()


class ConsensusOverride(IdMixin, Base):
    """One change of a line's consensus: who, when, why, the value before and after."""

    __tablename__ = "cpfr_consensus_overrides"
    __table_args__ = (Index("ix_cpfr_consensus_overrides_line", "consensus_line_id"),)

    consensus_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("cpfr_consensus_lines.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(30))  # override | accept_partner | accept_statistical
    old_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    new_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
