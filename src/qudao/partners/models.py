"""Partner organisations with their roles and contacts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.db import Base, IdMixin, TimestampMixin


class PartnerRoleAssignment(Base):
    __tablename__ = "partner_roles"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)


class Partner(IdMixin, TimestampMixin, Base):
    __tablename__ = "partners"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # The partner above this one in the channel hierarchy (brand -> distributor -> retailer).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    territory: Mapped[str] = mapped_column(String(100), default="")
    tier: Mapped[str] = mapped_column(String(10), default="B")
    credit_limit: Mapped[Decimal] = mapped_column(default=Decimal(0))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    tax_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    archived_at: Mapped[datetime | None] = mapped_column()

    role_rows: Mapped[list[PartnerRoleAssignment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", lazy="selectin", order_by="Contact.id"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)


class Contact(IdMixin, TimestampMixin, Base):
    __tablename__ = "contacts"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    is_primary: Mapped[bool] = mapped_column(default=False)

    partner: Mapped[Partner] = relationship(back_populates="contacts")
