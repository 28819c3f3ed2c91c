"""Products and the category tree."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qudao.db import Base, IdMixin, Quantity, TimestampMixin

product_substitutes = Table(
    "product_substitutes",
    Base.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("substitute_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class Category(IdMixin, TimestampMixin, Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    # Materialised path of codes ("/FOOD/SNACK/"), so a subtree is one LIKE query.
    path: Mapped[str] = mapped_column(String(400), index=True)
    archived_at: Mapped[datetime | None] = mapped_column()


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    brand: Mapped[str] = mapped_column(String(100), default="")
    barcode: Mapped[str | None] = mapped_column(String(40))
    uom: Mapped[str] = mapped_column(String(10), default="EA")
    allows_fractional: Mapped[bool] = mapped_column(Boolean, default=False)
    pack_size: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1))
    weight_kg: Mapped[Decimal | None] = mapped_column(Quantity)
    volume_m3: Mapped[Decimal | None] = mapped_column(Quantity)
    list_price: Mapped[Decimal] = mapped_column(default=Decimal(0))
    standard_cost: Mapped[Decimal] = mapped_column(default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    lifecycle: Mapped[str] = mapped_column(String(20), default="active", index=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    archived_at: Mapped[datetime | None] = mapped_column()

    category: Mapped[Category | None] = relationship(lazy="joined")
    substitutes: Mapped[list[Product]] = relationship(
        secondary=product_substitutes,
        primaryjoin=lambda: Product.id == product_substitutes.c.product_id,
        secondaryjoin=lambda: Product.id == product_substitutes.c.substitute_id,
        lazy="selectin",
    )
    successor: Mapped[Product | None] = relationship(remote_side=lambda: Product.id, lazy="joined", join_depth=1)

    @property
    def category_code(self) -> str | None:
        return self.category.code if self.category else None

    @property
    def successor_sku(self) -> str | None:
        return self.successor.sku if self.successor else None

    @property
    def substitute_skus(self) -> list[str]:
        return sorted(p.sku for p in self.substitutes)
