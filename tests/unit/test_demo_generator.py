"""The demo generator: deterministic per seed, the promised network, and visible Chinese retail peaks."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from qudao.demo import generator
from qudao.demo.network import ean13

END = date(2026, 10, 31)
FRAMES = ("categories", "products", "channels", "partners", "locations", "events", "sell_through")


@pytest.fixture(scope="module")
def small() -> generator.DemoDataSet:
    return generator.generate("small", 42, END)


def test_same_seed_gives_identical_frames_and_another_seed_does_not(small: generator.DemoDataSet) -> None:
    again = generator.generate("small", 42, END)
    for name in FRAMES:
        assert getattr(small, name).equals(getattr(again, name)), name
    other = generator.generate("small", 43, END)
    assert not other.sell_through.equals(small.sell_through)
    assert not other.products.equals(small.products)


def _partners_with(data: generator.DemoDataSet, role: str) -> int:
    return data.partners.filter(pl.col("roles").list.contains(role)).height


def test_small_network_matches_the_spec(small: generator.DemoDataSet) -> None:
    kinds = dict(small.locations.group_by("kind").len().iter_rows())
    assert kinds["plant"] == 2
    assert kinds["distribution_centre"] == 3
    assert kinds["store"] == 300
    assert _partners_with(small, "distributor") == 30
    assert _partners_with(small, "retailer") == 300
    assert _partners_with(small, "ecommerce_platform") == 2
    assert _partners_with(small, "supplier") == 20
    assert _partners_with(small, "brand") == 1
    assert small.products.height == 500
    assert small.products["sku"].n_unique() == 500
    assert (small.end - small.start).days + 1 == 730
    assert small.sell_through["day"].min() == small.start and small.sell_through["day"].max() == END
    assert small.sell_through["day"].n_unique() == 730
    assert set(small.products["profile"]) == set(generator.PROFILES)
    # A category tree: leaves point at a parent that exists.
    parents = set(small.categories.filter(pl.col("parent_code").is_not_null())["parent_code"])
    assert parents <= set(small.categories["code"]) and len(parents) == 5


def test_large_is_ten_times_small() -> None:
    large, small = generator.SCALES["large"], generator.SCALES["small"]
    assert (large.skus, large.distributors, large.retailers, large.suppliers) == tuple(
        10 * v for v in (small.skus, small.distributors, small.retailers, small.suppliers))


def test_names_are_bilingual_and_places_lie_in_china(small: generator.DemoDataSet) -> None:
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in small.products["name_zh"])
    assert all(name.isascii() for name in small.products["name_en"])
    assert small.locations["latitude"].is_between(18, 54).all()
    assert small.locations["longitude"].is_between(73, 135).all()
    stores = small.locations.filter(pl.col("kind") == "store")
    assert stores["owner_partner_code"].str.starts_with("RET-").all()


def test_barcodes_carry_a_valid_ean13_check_digit(small: generator.DemoDataSet) -> None:
    assert ean13("400638133393") == "4006381333931"  # the GS1 worked example
    assert all(ean13(code[:12]) == code for code in small.products["barcode"])


def test_retail_calendar_uses_the_moving_spring_festival(small: generator.DemoDataSet) -> None:
    peaks = {row["code"]: row["peak_on"] for row in small.events.iter_rows(named=True)}
    assert peaks["SF-2025"] == date(2025, 1, 29)
    assert peaks["SF-2026"] == date(2026, 2, 17)
    assert peaks["618-2025"] == date(2025, 6, 18)
    assert peaks["D11-2025"] == date(2025, 11, 11)
    assert peaks["SF-2027"] == date(2027, 2, 6)  # the next year is there for planning


def _weekly(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by(pl.col("day").dt.truncate("1w").alias("week")).agg(pl.col("quantity").sum()).sort("week")


@pytest.mark.parametrize("profile", ["seasonal", "promotional"])
def test_double_11_week_beats_the_median_week(small: generator.DemoDataSet, profile: str) -> None:
    weeks = _weekly(small.sell_through.filter(pl.col("profile") == profile))
    median = weeks["quantity"].median()
    for year in (2024, 2025):
        week = weeks.filter(pl.col("week") == pl.lit(date(year, 11, 11)).dt.truncate("1w"))["quantity"].item()
        assert week > 1.3 * median, (year, week, median)


def test_618_and_double_11_are_online_peaks(small: generator.DemoDataSet) -> None:
    online = small.sell_through.filter(pl.col("channel_code").cast(pl.String).str.starts_with("ECOM"))
    daily = online.group_by("day").agg(pl.col("quantity").sum())
    median = daily["quantity"].median()
    for day in (date(2025, 6, 18), date(2025, 11, 11)):
        assert daily.filter(pl.col("day") == day)["quantity"].item() > 3 * median


def test_spring_festival_run_up_beats_the_holiday_week_for_snacks(small: generator.DemoDataSet) -> None:
    snacks = small.sell_through.join(small.products.select("sku", "top_category"),
                                     left_on=pl.col("sku").cast(pl.String), right_on="sku")
    snacks = snacks.filter(pl.col("top_category") == "SNACK")
    festival = date(2026, 2, 17)

    def total(first: date, last: date) -> int:
        return int(snacks.filter(pl.col("day").is_between(first, last))["quantity"].sum())

    run_up = total(date(2026, 2, 10), date(2026, 2, 16))
    holiday = total(festival, date(2026, 2, 23))
    assert run_up > 2 * holiday


def test_intermittent_series_are_sparse_and_steady_ones_dense(small: generator.DemoDataSet) -> None:
    days_sold = (small.sell_through.filter(pl.col("quantity") > 0)
                 .group_by("sku", "location_code").agg(pl.len().alias("days"), pl.first("profile")))
    by_profile = dict(days_sold.group_by("profile").agg(pl.col("days").median()).iter_rows())
    assert by_profile["intermittent"] < 0.3 * 730
    assert by_profile["seasonal"] > 0.8 * 730
    # Stockouts are rare, flagged, and carry no sales.
    stockouts = small.sell_through.filter(pl.col("stockout"))
    assert 0 < stockouts.height < 0.02 * small.sell_through.height
    assert stockouts["quantity"].sum() == 0
