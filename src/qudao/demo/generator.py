"""Deterministic demo data: a believable Chinese channel network and two years of daily sell-through.

Pure (numpy + polars only, no database): ``generate(scale, seed, end)`` returns polars frames keyed by
business codes; the same scale, seed and end date always give identical frames. The loader in
``qudao.demo.service`` turns codes into ids and writes the frames in bulk.

Demand model per series (SKU x distribution point x day), a multiplicative decomposition in the spirit of
Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed., sec. 3.2, multiplicative
decomposition): level x weekday x annual season x trend x retail events x promotion uplift, sampled as
Poisson counts; intermittent (long-tail) SKUs follow Croston's model (Croston 1972, "Forecasting and stock
control for intermittent demands", Operational Research Quarterly 23(3)): a Bernoulli demand occurrence
with probability p and a separate positive order size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from qudao.demo import network
from qudao.demo.reference import SPRING_FESTIVAL

PROFILES = ("seasonal", "trending", "promotional", "intermittent")
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Scale:
    name: str
    distributors: int
    retailers: int
    suppliers: int
    skus: int
    days: int = 730


# Plants (2), distribution centres (3) and e-commerce platforms (2) are fixed; the rest scales.
SCALES: dict[str, Scale] = {
    "test": Scale("test", distributors=4, retailers=12, suppliers=3, skus=40, days=730),
    "small": Scale("small", distributors=30, retailers=300, suppliers=20, skus=500),
    "medium": Scale("medium", distributors=90, retailers=900, suppliers=60, skus=1500),
    "large": Scale("large", distributors=300, retailers=3000, suppliers=200, skus=5000),
}


@dataclass(frozen=True)
class DemoDataSet:
    scale: Scale
    seed: int
    start: date
    end: date
    categories: pl.DataFrame
    products: pl.DataFrame
    channels: pl.DataFrame
    partners: pl.DataFrame
    locations: pl.DataFrame
    events: pl.DataFrame
    sell_through: pl.DataFrame

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name).height for name in
                ("categories", "products", "channels", "partners", "locations", "events", "sell_through")}


def generate(scale: str | Scale, seed: int, end: date) -> DemoDataSet:
    """The whole demo data set for ``scale`` with history ending on ``end`` (inclusive)."""
    spec = SCALES[scale] if isinstance(scale, str) else scale
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=spec.days - 1)
    categories, leaves = network.categories()
    products = network.products(rng, spec.skus, leaves)
    channels = network.channels()
    partners = network.partners(rng, spec.suppliers, spec.distributors, spec.retailers)
    locations = network.locations(rng, partners)
    events = retail_events(rng, start, end + timedelta(days=365))
    sell_through = sell_through_history(rng, products, partners, start, end, events)
    return DemoDataSet(spec, seed, start, end, categories, products, channels, partners, locations, events,
                       sell_through)


# ---- the retail calendar --------------------------------------------------------------------------


def retail_events(rng: np.random.Generator, start: date, end: date) -> pl.DataFrame:
    """Spring Festival (run-up and holiday week), 618, Double 11, and brand promotions per channel."""
    rows: list[dict[str, object]] = []
    for year in range(start.year, end.year + 1):
        festival = SPRING_FESTIVAL[year]
        rows.append({"code": f"SF-{year}", "name_zh": f"{year}春节", "name_en": f"Spring Festival {year}",
                     "kind": "spring_festival", "starts_on": festival - timedelta(days=21),
                     "ends_on": festival + timedelta(days=6), "peak_on": festival, "channel_code": None})
        rows.append({"code": f"618-{year}", "name_zh": f"{year}年618年中大促", "name_en": f"618 mid-year sale {year}",
                     "kind": "618", "starts_on": date(year, 6, 1), "ends_on": date(year, 6, 20),
                     "peak_on": date(year, 6, 18), "channel_code": "ECOM"})
        rows.append({"code": f"D11-{year}", "name_zh": f"{year}双十一", "name_en": f"Double 11 {year}",
                     "kind": "double_11", "starts_on": date(year, 10, 20), "ends_on": date(year, 11, 13),
                     "peak_on": date(year, 11, 11), "channel_code": "ECOM"})
        for channel, label_zh, label_en in (("DIST", "经销渠道促销", "Distributor promotion"),
                                            ("ECOM", "电商店铺促销", "Online store promotion")):
            # Six week-long brand promotions a year, one every two months, at a random point in it.
            for k in range(6):
                first = date(year, 2 * k + 1, 1)
                begin = first + timedelta(days=int(rng.integers(0, 50)))
                rows.append({"code": f"PROMO-{channel}-{year}-{k + 1}", "name_zh": f"{year}{label_zh}{k + 1}",
                             "name_en": f"{label_en} {year}/{k + 1}", "kind": "promotion", "starts_on": begin,
                             "ends_on": begin + timedelta(days=6), "peak_on": None, "channel_code": channel})
    frame = pl.DataFrame(rows, schema={"code": pl.String, "name_zh": pl.String, "name_en": pl.String,
                                       "kind": pl.String, "starts_on": pl.Date, "ends_on": pl.Date,
                                       "peak_on": pl.Date, "channel_code": pl.String})
    return frame.filter(pl.col("ends_on") >= start, pl.col("starts_on") <= end).sort("starts_on", "code")


def _window(days: np.ndarray, first: date, last: date) -> np.ndarray:
    return (days >= first.toordinal()) & (days <= last.toordinal())


@dataclass
class _Calendar:
    """Per-day multipliers (length T) for offline and online channels, and promotion masks."""

    sf_ramp: np.ndarray  # 0 -> 1 over the three weeks before the Spring Festival
    offline: np.ndarray  # holiday closure, 618 and Double 11 effects in shops
    online: np.ndarray  # the same on e-commerce platforms (much stronger shopping festivals)
    online_festival: np.ndarray  # platform-wide discount windows (618, Double 11)
    promo_dist: np.ndarray
    promo_ecom: np.ndarray
    weekday: np.ndarray
    day_of_year: np.ndarray


def _calendar(start: date, days: int, events: pl.DataFrame) -> _Calendar:
    ordinals = np.arange(start.toordinal(), start.toordinal() + days)
    dates = [date.fromordinal(int(o)) for o in ordinals]
    sf_ramp = np.zeros(days)
    offline = np.ones(days)
    online = np.ones(days)
    festival = np.zeros(days, dtype=bool)
    for year in sorted({d.year for d in dates}):
        sf = SPRING_FESTIVAL[year].toordinal()
        runup = (ordinals >= sf - 21) & (ordinals < sf)
        sf_ramp[runup] = (ordinals[runup] - (sf - 22)) / 21.0
        holiday = (ordinals >= sf) & (ordinals <= sf + 6)
        offline[holiday] *= 0.55  # shops close for the holiday week
        online[holiday] *= 0.45  # couriers stop delivering
        online[_window(ordinals, date(year, 6, 1), date(year, 6, 17))] *= 1.25
        online[_window(ordinals, date(year, 6, 18), date(year, 6, 18))] *= 3.5
        online[_window(ordinals, date(year, 6, 19), date(year, 6, 20))] *= 1.3
        offline[_window(ordinals, date(year, 6, 14), date(year, 6, 18))] *= 1.15
        online[_window(ordinals, date(year, 10, 20), date(year, 10, 31))] *= 1.2
        online[_window(ordinals, date(year, 11, 1), date(year, 11, 10))] *= 1.4
        online[_window(ordinals, date(year, 11, 11), date(year, 11, 11))] *= 6.0
        online[_window(ordinals, date(year, 11, 12), date(year, 11, 13))] *= 1.5
        offline[_window(ordinals, date(year, 11, 5), date(year, 11, 15))] *= 1.5
        festival |= _window(ordinals, date(year, 6, 1), date(year, 6, 18))
        festival |= _window(ordinals, date(year, 10, 20), date(year, 11, 11))
    promo = {"DIST": np.zeros(days, dtype=bool), "ECOM": np.zeros(days, dtype=bool)}
    for row in events.filter(pl.col("kind") == "promotion").iter_rows(named=True):
        promo[row["channel_code"]] |= _window(ordinals, row["starts_on"], row["ends_on"])
    weekday = np.array([d.weekday() for d in dates])
    day_of_year = np.array([d.timetuple().tm_yday for d in dates])
    return _Calendar(sf_ramp, offline, online, festival, promo["DIST"], promo["ECOM"], weekday, day_of_year)


# ---- sell-through history -------------------------------------------------------------------------

# Weekly shape (Mon..Sun): shops sell most at weekends, platforms are nearly flat.
WEEKLY_OFFLINE = np.array([0.88, 0.88, 0.92, 0.95, 1.05, 1.2, 1.12])
WEEKLY_ONLINE = np.array([1.04, 1.0, 0.98, 0.98, 0.99, 1.0, 1.01])
SF_SENSITIVE = {"SNACK", "GIFT"}


def _series(rng: np.random.Generator, products: pl.DataFrame, partners: pl.DataFrame) -> pl.DataFrame:
    """Which SKU sells at which distribution point: A items widely, C items at one point."""
    points = network.distribution_points(partners)
    dc = points.filter(pl.col("point_kind") == "dc")["location_code"].to_list()
    dist = points.filter(pl.col("point_kind") == "distributor")["location_code"].to_list()
    ecom = points.filter(pl.col("point_kind") == "ecommerce")["location_code"].to_list()
    skus: list[str] = []
    locs: list[str] = []
    for sku, abc in products.select("sku", "abc").iter_rows():
        if abc == "A":
            chosen = [*ecom, *rng.choice(dist, size=min(4, len(dist)), replace=False), dc[int(rng.integers(len(dc)))]]
        elif abc == "B":
            chosen = [ecom[int(rng.integers(len(ecom)))], dist[int(rng.integers(len(dist)))]]
        else:
            chosen = [ecom[int(rng.integers(len(ecom)))] if rng.random() < 0.6 else dist[int(rng.integers(len(dist)))]]
        skus.extend([sku] * len(chosen))
        locs.extend(str(c) for c in chosen)
    frame = pl.DataFrame({"sku": skus, "location_code": locs})
    frame = frame.join(points, on="location_code", how="left").join(
        products.select("sku", "abc", "profile", "top_category", "season_peak", "list_price"), on="sku", how="left")
    return frame.with_row_index("series")


def sell_through_history(rng: np.random.Generator, products: pl.DataFrame, partners: pl.DataFrame,
                         start: date, end: date, events: pl.DataFrame, chunk: int = 1000) -> pl.DataFrame:
    """Daily sell-through rows (zero days without a stockout are omitted)."""
    series = _series(rng, products, partners)
    days = (end - start).days + 1
    cal = _calendar(start, days, events)
    t_years = np.arange(days) / 365.25
    parts: list[pl.DataFrame] = []
    for first in range(0, series.height, chunk):
        block = series.slice(first, chunk)
        n = block.height
        kind = block["point_kind"].to_numpy()
        profile = block["profile"].to_numpy()
        abc = block["abc"].to_numpy()
        online = kind == "ecommerce"
        # Level: A items sell most; platforms sell more per point than a regional distributor.
        level_mu = np.select([abc == "A", abc == "B"], [np.log(12.0), np.log(4.0)], np.log(1.0))
        level = np.exp(rng.normal(level_mu, 0.5)) * np.select([online, kind == "distributor"], [1.0, 0.5], 0.3)
        weekly = np.where(online[:, None], WEEKLY_ONLINE[cal.weekday][None, :], WEEKLY_OFFLINE[cal.weekday][None, :])
        seasonal = profile == "seasonal"
        amplitude = np.where(seasonal, rng.uniform(0.25, 0.45, n), rng.uniform(0.02, 0.08, n))
        peak = block["season_peak"].to_numpy()
        season = 1 + amplitude[:, None] * np.cos(2 * np.pi * (cal.day_of_year[None, :] - peak[:, None]) / 365.25)
        growth = np.where(profile == "trending",
                          np.where(rng.random(n) < 0.7, rng.uniform(0.3, 0.7, n), rng.uniform(-0.6, -0.3, n)),
                          rng.normal(0, 0.03, n))
        trend = np.exp(growth[:, None] * t_years[None, :])
        sf_amp = np.where(np.isin(block["top_category"].to_numpy(), list(SF_SENSITIVE)), 1.5, 0.6)
        events_mult = np.where(online[:, None], cal.online[None, :], cal.offline[None, :])
        events_mult = events_mult * (1 + sf_amp[:, None] * cal.sf_ramp[None, :])
        sensitivity = np.select([profile == "promotional", profile == "intermittent"], [1.3, 0.8], 1.0)
        events_mult = events_mult ** sensitivity[:, None]
        promo_days = np.where(online[:, None], cal.promo_ecom[None, :],
                              np.where((kind == "distributor")[:, None], cal.promo_dist[None, :], False))
        promotional = (profile == "promotional")[:, None]
        uplift = np.where(promo_days, np.where(promotional, rng.uniform(1.6, 2.6, n)[:, None], 1.1), 1.0)
        on_brand_promo = promo_days & promotional
        festival_discount = online[:, None] & cal.online_festival[None, :]
        mean = level[:, None] * weekly * season * trend * events_mult * uplift
        quantity = rng.poisson(mean)
        # Croston-style intermittent demand: occurrence with probability p, then a positive size.
        sparse = profile == "intermittent"
        p = rng.uniform(0.03, 0.2, n)[:, None] * np.minimum(events_mult, 4.0)
        size = 1 + rng.poisson(rng.uniform(0.5, 3.0, n)[:, None], size=(n, days))
        occurs = rng.random((n, days)) < np.minimum(p, 1.0)
        quantity = np.where(sparse[:, None], occurs * size, quantity)
        # Stockout episodes of three days (rare): sales are censored to zero and flagged.
        starts = (rng.random((n, days)) < 0.0015) & ~sparse[:, None]
        stockout = starts.copy()
        stockout[:, 1:] |= starts[:, :-1]
        stockout[:, 2:] |= starts[:, :-2]
        quantity = np.where(stockout, 0, quantity)
        discount = np.where(on_brand_promo, 0.2, np.where(festival_discount, 0.15, 0.0))
        keep = (quantity > 0) | stockout
        rows, cols = np.nonzero(keep)
        price = block["list_price"].cast(pl.Float64).to_numpy()
        revenue = np.round(quantity[rows, cols] * price[rows] * (1 - discount[rows, cols]), 2)
        parts.append(pl.DataFrame({
            "series": (rows + first).astype(np.uint32),
            "day": (cols + (start - EPOCH).days).astype(np.int32),
            "quantity": quantity[rows, cols].astype(np.int64),
            "revenue": revenue,
            "on_promotion": (on_brand_promo | festival_discount)[rows, cols],
            "stockout": stockout[rows, cols],
        }))
    facts = pl.concat(parts) if parts else pl.DataFrame()
    lookup = series.select(
        pl.col("series").cast(pl.UInt32),
        pl.col("sku").cast(pl.Categorical),
        pl.col("location_code").cast(pl.Categorical),
        pl.col("channel_code").cast(pl.Categorical),
        pl.col("partner_code").cast(pl.Categorical),
        "profile",
    )
    return facts.with_columns(pl.col("day").cast(pl.Date)).join(lookup, on="series", how="left").select(
        "day", "sku", "location_code", "channel_code", "partner_code", "quantity", "revenue", "on_promotion",
        "stockout", pl.col("profile").cast(pl.Categorical),
    )
