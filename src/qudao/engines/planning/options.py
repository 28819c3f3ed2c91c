"""Typed options of a planning run (passed explicitly, never read from the environment)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PlanningInputError

GROSS_MAX = "max"  # forecast consumption: gross = max(forecast, open orders) per bucket
GROSS_SUM = "sum"  # open orders are on top of the forecast


@dataclass(frozen=True)
class PlanOptions:
    """Options shared by netting, network and BOM planning.

    bucket: "day" or "week" (only a label for reports; all arithmetic is in buckets).
    horizon: number of buckets planned.
    gross_rule: how the consensus forecast and open orders combine into the gross requirement.
    buckets_per_year: used to turn per-bucket demand into annual demand for EOQ lot sizes.
    """

    bucket: str = "week"
    horizon: int = 52
    gross_rule: str = GROSS_MAX
    buckets_per_year: float = 52.0

    def __post_init__(self):
        if self.bucket not in ("day", "week"):
            raise PlanningInputError("bucket", f"must be 'day' or 'week', not {self.bucket!r}")
        if not isinstance(self.horizon, int) or self.horizon <= 0:
            raise PlanningInputError(
                "horizon", f"must be a positive whole number of buckets, not {self.horizon!r}"
            )
        if self.gross_rule not in (GROSS_MAX, GROSS_SUM):
            raise PlanningInputError("gross_rule", f"must be 'max' or 'sum', not {self.gross_rule!r}")
        if not self.buckets_per_year > 0:
            raise PlanningInputError("buckets_per_year", "must be > 0")
