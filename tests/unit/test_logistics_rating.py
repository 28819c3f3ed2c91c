"""Freight rating and emissions on a hand-worked rate card (figures worked out in the comments)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.engines.logistics import emissions, rating
from qudao.errors import Invalid

D = Decimal
SHIP = date(2026, 3, 2)
ZONES = {"Shanghai": "EAST", "Zhejiang": "EAST", "Jiangsu": "EAST", "Guangdong": "SOUTH"}

# Express: divisor 6000 cm³/kg, minimum 20, fuel 10 %, 1 day (2 days to the south).
EXPRESS = rating.ServiceRates(
    "EXP", "SF", (
        rating.Lane("EAST", "EAST", (rating.RateBreak(D(0), D("2.00"), D(8)),
                                     rating.RateBreak(D(10), D("1.50"), D(8)))),
        rating.Lane("EAST", "SOUTH", (rating.RateBreak(D(0), D("4.00")), rating.RateBreak(D(20), D("3.00"))),
                    min_charge=D(30), transit_days=2),
        rating.Lane("Shanghai", "Guangdong", (rating.RateBreak(D(0), D("5.00")),), transit_days=2),
    ), "express", "air", D(6000), D(10), D(20), 1, zones=ZONES)
# Standard road: divisor 5000, minimum 15, fuel 5 %, anywhere in 3 days.
STANDARD = rating.ServiceRates("STD", "ZTO", (rating.Lane("*", "*", (rating.RateBreak(D(0), D("1.20"), D(10)),)),),
                               "standard", "road", D(5000), D(5), D(15), 3)
# LTL priced per m³: 300/m³, 250/m³ from 1 m³, minimum 80, 4 days.
LTL = rating.ServiceRates("LTL", "DEPPON", (rating.Lane("*", "*", (rating.RateBreak(D(0), D(300)),
                                                                   rating.RateBreak(D(1), D(250))), basis="m3",
                                                        min_charge=D(80)),), "ltl", "road", D(6000), D(0), D(0), 4)


def small(promised: date | None = None) -> rating.Consignment:
    # 4 kg, 0.03 m³ (30,000 cm³) from Shanghai to Zhejiang
    return rating.Consignment("Shanghai", "Zhejiang", D(4), D("0.03"), SHIP, promised)


def test_chargeable_weight_is_the_larger_of_actual_and_volumetric() -> None:
    assert rating.chargeable_weight(D(4), D("0.03"), D(6000)) == (D(5), D(5))  # 30000/6000 = 5 kg
    assert rating.chargeable_weight(D(12), D("0.03"), D(6000)) == (D(5), D(12))
    with pytest.raises(Invalid):
        rating.chargeable_weight(D(1), D(1), D(0))


def test_minimum_charge_then_fuel_surcharge() -> None:
    quote = rating.rate_service(EXPRESS, small())
    assert isinstance(quote, rating.Quote)
    # chargeable 5 kg: 8 + 2.00 x 5 = 18 < minimum 20 -> 20; fuel 10 % = 2.00; total 22.00
    assert (quote.chargeable_weight, quote.linehaul, quote.minimum_applied) == (D(5), D("20.00"), True)
    assert (quote.fuel_surcharge, quote.total, quote.eta) == (D("2.00"), D("22.00"), date(2026, 3, 3))


def test_weight_break_applies_to_the_whole_quantity() -> None:
    heavy = rating.Consignment("Shanghai", "Zhejiang", D(12), D("0.03"), SHIP)
    quote = rating.rate_service(EXPRESS, heavy)
    assert isinstance(quote, rating.Quote)
    # 12 kg falls in the 10 kg break: 8 + 1.50 x 12 = 26; fuel 2.60; total 28.60
    assert (quote.linehaul, quote.fuel_surcharge, quote.total, quote.minimum_applied) == (
        D("26.00"), D("2.60"), D("28.60"), False)


def test_volume_basis_lane_and_lane_minimum() -> None:
    quote = rating.rate_service(LTL, small())
    assert isinstance(quote, rating.Quote)
    assert (quote.basis, quote.billed_quantity, quote.linehaul, quote.total) == ("m3", D("0.03"), D("80.00"),
                                                                                  D("80.00"))  # 9 < 80
    big = rating.rate_service(LTL, rating.Consignment("Jiangsu", "Sichuan", D(500), D(2), SHIP))
    assert isinstance(big, rating.Quote) and big.total == D("500.00")  # 2 m³ x 250


def test_most_specific_lane_wins() -> None:
    by_province = rating.rate_service(EXPRESS, rating.Consignment("Shanghai", "Guangdong", D(10), D(0), SHIP))
    by_zone = rating.rate_service(EXPRESS, rating.Consignment("Zhejiang", "Guangdong", D(10), D(0), SHIP))
    assert isinstance(by_province, rating.Quote) and isinstance(by_zone, rating.Quote)
    assert by_province.lane == "Shanghai->Guangdong" and by_province.linehaul == D("50.00")  # 5 x 10
    assert by_zone.lane == "EAST->SOUTH" and by_zone.linehaul == D("40.00")  # 4 x 10, above the 30 minimum
    assert rating.rate_service(EXPRESS, rating.Consignment("Sichuan", "Guangdong", D(1), D(0), SHIP)) == (
        "no lane from Sichuan to Guangdong on its rate card")


def test_cheapest_versus_promised_date() -> None:
    services = [EXPRESS, STANDARD, LTL]
    # STD: max(4, 30000/5000 = 6) = 6 kg: 10 + 1.20 x 6 = 17.20; fuel 5 % = 0.86; 18.06, arrives in 3 days
    cheapest = rating.rate(services, small(), "cheapest")
    assert cheapest.chosen is not None and (cheapest.chosen.service_code, cheapest.chosen.total) == ("STD", D("18.06"))
    assert [q.service_code for q in cheapest.quotes] == ["STD", "EXP", "LTL"]
    # promised in 2 days: STD would be late, so the cheapest in time is EXP (22.00, next day)
    in_time = rating.rate(services, small(date(2026, 3, 4)), "promised_date")
    assert in_time.chosen is not None and (in_time.chosen.service_code, in_time.rule) == ("EXP", "in_time")
    # promised today: nothing arrives in time, so the fastest (EXP, 1 day)
    fastest = rating.rate(services, small(SHIP), "promised_date")
    assert fastest.chosen is not None and (fastest.chosen.service_code, fastest.rule) == ("EXP", "fastest")
    assert rating.rate([], small(), "cheapest").chosen is None


def test_co2e_is_tonne_km_times_the_mode_factor() -> None:
    # 500 km x 2 t = 1000 tkm; road default 0.14993 kg/tkm -> 149.930 kg
    assert emissions.co2e_kg(D(500), D(2000), "road") == D("149.930")
    assert emissions.co2e_kg(D(500), D(2000), "road", factor=D("0.1")) == D("100.000")
    assert emissions.co2e_kg(D(100), D(500), "air") == D("79.000")  # 50 tkm x 1.58
    with pytest.raises(Invalid):
        emissions.co2e_kg(D(1), D(1), "teleport")


def test_distance_from_coordinates() -> None:
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    straight = emissions.great_circle_km(*beijing, *shanghai)
    assert 1060 < straight < 1075  # about 1,067 km as the crow flies
    road = emissions.transport_distance_km(*beijing, *shanghai, mode="road")
    assert abs(float(road) - straight * 1.3) < 0.1
    air = emissions.transport_distance_km(*beijing, *shanghai, mode="air")
    assert abs(float(air) - (straight + 95)) < 0.1
