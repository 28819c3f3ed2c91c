"""The demo channel network (pure): category tree, products, channels, partners and locations as frames."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from qudao.demo.reference import (
    CATEGORY_TREE,
    CITIES,
    CITY_BY_EN,
    PACKS,
    PRODUCT_LINES,
    RETAIL_FORMATS,
    SUPPLY_KINDS,
    TRADE_NAMES,
)

BRAND = "华岳"
BRAND_EN = "Huayue"
BRAND_CODE = "HY-BRAND"
# Day of year when each leaf's annual season peaks (summer drinks, winter cooking, festive gifts).
SEASON_PEAK = {"BEV": 200, "SNACK": 20, "GIFT": 25, "GRAIN": 30, "COND": 15, "MOON": 255}
ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "新华路", "文化路")
PLANTS = (("PLANT-FS", "华岳佛山工厂", "Foshan"), ("PLANT-CD", "华岳成都工厂", "Chengdu"))
DCS = (("DC-SH", "华东配送中心（上海）", "Shanghai"), ("DC-WH", "华中配送中心（武汉）", "Wuhan"),
       ("DC-BJ", "华北配送中心（北京）", "Beijing"))
PLATFORMS = (("ECOM-CB", "云购商城", "CloudBuy Mall", "Hangzhou"), ("ECOM-SM", "速达商城", "SpeedMall", "Beijing"))
LOGISTICS = (("LSP-001", "顺捷物流有限公司", "Shunjie Logistics Co., Ltd."),
             ("LSP-002", "中运快运有限公司", "Zhongyun Express Co., Ltd."),
             ("LSP-003", "安达冷链物流有限公司", "Anda Cold Chain Logistics Co., Ltd."))


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def categories() -> tuple[pl.DataFrame, list[dict[str, object]]]:
    """The category tree (parents first) and its leaves with what a product there looks like."""
    rows: list[dict[str, object]] = []
    leaves: list[dict[str, object]] = []
    for code, zh, en, profile, price_range, shelf_life, children in CATEGORY_TREE:
        rows.append({"code": code, "name_zh": zh, "name_en": en, "parent_code": None})
        for leaf_code, leaf_zh, leaf_en, bases in children:
            rows.append({"code": leaf_code, "name_zh": leaf_zh, "name_en": leaf_en, "parent_code": code})
            leaves.append({"code": leaf_code, "top": code, "profile": profile, "price_range": price_range,
                           "shelf_life": shelf_life, "bases": bases,
                           "peak": SEASON_PEAK.get(leaf_code, SEASON_PEAK[code])})
    return pl.DataFrame(rows, schema={"code": pl.String, "name_zh": pl.String, "name_en": pl.String,
                                      "parent_code": pl.String}), leaves


def ean13(body12: str) -> str:
    """EAN-13 with its check digit (GS1 General Specifications, sec. 7.9: weights 1 and 3 alternating)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def products(rng: np.random.Generator, count: int, leaves: list[dict[str, object]]) -> pl.DataFrame:
    leaf_of = rng.integers(0, len(leaves), count)
    abc = np.array(["C"] * count, dtype=object)
    order = rng.permutation(count)
    abc[order[: count // 5]] = "A"
    abc[order[count // 5: count // 2]] = "B"
    rows: list[dict[str, object]] = []
    for i in range(count):
        leaf = leaves[int(leaf_of[i])]
        bases = leaf["bases"]
        base_zh, base_en = bases[int(rng.integers(len(bases)))]  # type: ignore[arg-type]
        line_zh, line_en = PRODUCT_LINES[int(rng.integers(len(PRODUCT_LINES)))]
        pack_zh, pack_en, units = PACKS[int(rng.integers(len(PACKS)))]
        low, high = leaf["price_range"]  # type: ignore[misc]
        unit_price = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        list_price = np.floor(unit_price * units * (1.0 if units == 1 else 0.92)) + 0.9
        draw = rng.random()
        if abc[i] == "C":
            profile = "intermittent" if draw < 0.75 else leaf["profile"]
        else:
            profile = "trending" if draw < 0.12 else leaf["profile"]
        lifecycle = "new" if profile == "trending" and rng.random() < 0.6 else "active"
        weight = round(float(rng.uniform(0.15, 1.2)) * units, 3)
        rows.append({
            "sku": f"{leaf['code']}-{i + 1:05d}",
            "name_zh": f"{BRAND}{line_zh}{base_zh} {pack_zh}",
            "name_en": f"{BRAND_EN} {line_en} {base_en}, {pack_en}",
            "category_code": leaf["code"],
            "brand": BRAND_EN,
            "barcode": ean13(f"6971234{i:05d}"),
            "uom": "EA" if units == 1 else "PK",
            "pack_size": Decimal(int(rng.choice([6, 12, 24])) if units == 1 else 4),
            "weight_kg": Decimal(f"{weight:.3f}"),
            "volume_m3": Decimal(f"{weight * 0.0015:.4f}"),
            "list_price": _money(list_price),
            "standard_cost": _money(list_price * float(rng.uniform(0.45, 0.65))),
            "currency": "CNY",
            "shelf_life_days": int(leaf["shelf_life"]) + int(rng.integers(-30, 31)),  # type: ignore[call-overload]
            "lifecycle": lifecycle,
            "profile": profile,
            "abc": str(abc[i]),
            "top_category": leaf["top"],
            "season_peak": leaf["peak"],
        })
    decimal = pl.Decimal(18, 4)
    return pl.DataFrame(rows, schema_overrides={"pack_size": decimal, "weight_kg": decimal, "volume_m3": decimal,
                                                "list_price": decimal, "standard_cost": decimal},
                        infer_schema_length=None)


def channels() -> pl.DataFrame:
    rows = [
        ("DIRECT", "直销", "Direct sales", "direct", None),
        ("KA", "重点客户", "Key accounts", "direct", "DIRECT"),
        ("DIST", "经销渠道", "Distribution", "distribution", None),
        ("RETAIL", "零售门店", "Retail stores", "retail", "DIST"),
        ("ECOM", "电商", "E-commerce", "ecommerce", None),
        ("ECOM-CB", "云购商城旗舰店", "CloudBuy flagship store", "ecommerce", "ECOM"),
        ("ECOM-SM", "速达商城自营", "SpeedMall self-operated", "ecommerce", "ECOM"),
    ]
    return pl.DataFrame(rows, schema=["code", "name_zh", "name_en", "kind", "parent_code"], orient="row")


def _partner(code: str, name: str, name_en: str, roles: list[str], *, parent: str | None, channel: str | None,
             city: str, tier: str = "B", credit: float = 0.0, terms: int = 30) -> dict[str, object]:
    place = CITY_BY_EN[city]
    return {"code": code, "name": name, "name_en": name_en, "roles": roles, "parent_code": parent,
            "channel_code": channel, "region": place.region, "territory": place.province, "tier": tier,
            "credit_limit": _money(credit), "payment_terms_days": terms, "currency": "CNY", "status": "active",
            "city": city}


def partners(rng: np.random.Generator, suppliers: int, distributors: int, retailers: int) -> pl.DataFrame:
    rows = [_partner(BRAND_CODE, f"{BRAND}食品集团有限公司", f"{BRAND_EN} Food Group Co., Ltd.",
                     ["brand", "manufacturer"], parent=None, channel="DIRECT", city="Shanghai", tier="A")]
    for i in range(suppliers):
        city = CITIES[int(rng.integers(len(CITIES)))]
        trade = TRADE_NAMES[int(rng.integers(len(TRADE_NAMES)))]
        kind = SUPPLY_KINDS[int(rng.integers(len(SUPPLY_KINDS)))]
        roles = ["supplier", "manufacturer"] if rng.random() < 0.2 else ["supplier"]
        rows.append(_partner(f"SUP-{i + 1:03d}", f"{city.zh}{trade[0]}{kind[0]}有限公司",
                             f"{city.en} {trade[1]} {kind[1]} Co., Ltd.", roles, parent=None, channel=None,
                             city=city.en, tier=str(rng.choice(["A", "B", "C"])),
                             terms=int(rng.choice([30, 60, 90]))))
    city_order = rng.permutation(len(CITIES))
    dist_cities: list[str] = []
    for i in range(distributors):
        city = CITIES[int(city_order[i % len(CITIES)])]
        dist_cities.append(city.en)
        trade = TRADE_NAMES[int(rng.integers(len(TRADE_NAMES)))]
        roles = ["distributor", "wholesaler"] if rng.random() < 0.3 else ["distributor"]
        tier = str(rng.choice(["A", "B", "C"], p=[0.2, 0.5, 0.3]))
        credit = {"A": 2_000_000, "B": 800_000, "C": 300_000}[tier] * float(rng.uniform(0.7, 1.3))
        rows.append(_partner(f"DIST-{i + 1:03d}", f"{city.zh}{trade[0]}商贸有限公司",
                             f"{city.en} {trade[1]} Trading Co., Ltd.", roles, parent=BRAND_CODE, channel="DIST",
                             city=city.en, tier=tier, credit=round(credit, -4), terms=int(rng.choice([30, 45, 60]))))
    # Retailers hang under distributors; bigger (earlier) distributors serve more shops.
    weights = 1.0 / np.arange(1, distributors + 1) ** 0.5
    parent_of = rng.choice(distributors, size=retailers, p=weights / weights.sum())
    for i in range(retailers):
        d = int(parent_of[i])
        city = CITY_BY_EN[dist_cities[d]]
        trade = TRADE_NAMES[int(rng.integers(len(TRADE_NAMES)))]
        fmt = RETAIL_FORMATS[int(rng.integers(len(RETAIL_FORMATS)))]
        rows.append(_partner(f"RET-{i + 1:04d}", f"{city.zh}{trade[0]}{fmt[0]}", f"{trade[1]} {fmt[1]} {city.en}",
                             ["retailer"], parent=f"DIST-{d + 1:03d}", channel="RETAIL", city=city.en,
                             tier=str(rng.choice(["B", "C"], p=[0.2, 0.8])),
                             credit=round(float(rng.uniform(20_000, 200_000)), -3), terms=int(rng.choice([15, 30]))))
    for code, zh, en, city in PLATFORMS:
        rows.append(_partner(code, zh, en, ["ecommerce_platform"], parent=BRAND_CODE, channel=code, city=city,
                             tier="A", credit=5_000_000, terms=60))
    for code, zh, en in LOGISTICS:
        rows.append(_partner(code, zh, en, ["logistics_provider"], parent=None, channel=None, city="Shanghai",
                             tier="B", terms=30))
    frame = pl.DataFrame(rows, schema_overrides={"credit_limit": pl.Decimal(18, 4), "roles": pl.List(pl.String),
                                                 "parent_code": pl.String, "channel_code": pl.String},
                         infer_schema_length=None)
    return frame


def _address(rng: np.random.Generator, city_zh: str) -> str:
    return f"{city_zh}市{ROADS[int(rng.integers(len(ROADS)))]}{int(rng.integers(1, 999))}号"


def locations(rng: np.random.Generator, partner_frame: pl.DataFrame) -> pl.DataFrame:
    rows: list[dict[str, object]] = []

    def add(code: str, name: str, kind: str, owner: str | None, channel: str | None, city_en: str,
            priority: int, jitter: float) -> None:
        city = CITY_BY_EN[city_en]
        rows.append({"code": code, "name": name, "kind": kind, "owner_partner_code": owner, "channel_code": channel,
                     "address": _address(rng, city.zh), "city": city.zh, "province": city.province,
                     "country": "CN",
                     "latitude": round(city.latitude + float(rng.uniform(-jitter, jitter)), 5),
                     "longitude": round(city.longitude + float(rng.uniform(-jitter, jitter)), 5),
                     "priority": priority})

    for code, name, city in PLANTS:
        add(code, name, "plant", BRAND_CODE, None, city, 50, 0.08)
    for code, name, city in DCS:
        add(code, name, "distribution_centre", BRAND_CODE, "KA", city, 10, 0.08)
    for code, name, roles, channel, city in partner_frame.select(
            "code", "name", "roles", "channel_code", "city").iter_rows():
        if "distributor" in roles or "ecommerce_platform" in roles:
            add(f"WH-{code}", f"{name}仓库", "partner_warehouse", code, channel, city, 100, 0.1)
        elif "retailer" in roles:
            add(f"ST-{code}", f"{name}", "store", code, "RETAIL", city, 200, 0.15)
    return pl.DataFrame(rows, schema_overrides={"owner_partner_code": pl.String, "channel_code": pl.String},
                        infer_schema_length=None)


def distribution_points(partner_frame: pl.DataFrame) -> pl.DataFrame:
    """Where sell-through is recorded: brand DCs (key accounts), distributor and platform warehouses."""
    rows = [{"location_code": code, "point_kind": "dc", "channel_code": "KA", "partner_code": None}
            for code, _, _ in DCS]
    for code, roles, channel in partner_frame.select("code", "roles", "channel_code").iter_rows():
        if "distributor" in roles:
            rows.append({"location_code": f"WH-{code}", "point_kind": "distributor", "channel_code": "DIST",
                         "partner_code": code})
        elif "ecommerce_platform" in roles:
            rows.append({"location_code": f"WH-{code}", "point_kind": "ecommerce", "channel_code": channel,
                         "partner_code": code})
    return pl.DataFrame(rows, schema={"location_code": pl.String, "point_kind": pl.String,
                                      "channel_code": pl.String, "partner_code": pl.String})
