"""``qudao route solve`` end to end on small VRPLIB files written here."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from qudao.cli.main import app

CVRP = """NAME : three-pairs
COMMENT : hand-made: three pairs of clients, each pair fills one vehicle
TYPE : CVRP
DIMENSION : 7
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 10 0
3 10 5
4 -10 0
5 -10 -5
6 0 12
7 3 13
DEMAND_SECTION
1 0
2 4
3 5
4 6
5 3
6 7
7 2
DEPOT_SECTION
1
-1
EOF
"""

# Solomon-style data in VRPLIB syntax: node, x, y, demand, window, service time; depot open 0..230.
VRPTW_ROWS = [
    (1, 40, 50, 0, 0, 230, 0),
    (2, 45, 68, 10, 100, 140, 10),
    (3, 45, 70, 30, 0, 60, 10),
    (4, 42, 66, 10, 20, 80, 10),
    (5, 25, 50, 20, 120, 170, 10),
    (6, 25, 52, 40, 10, 60, 10),
    (7, 60, 50, 20, 30, 90, 10),
    (8, 58, 75, 20, 150, 200, 10),
]


def _vrptw_text() -> str:
    lines = [
        "NAME : tw-7",
        "TYPE : VRPTW",
        f"DIMENSION : {len(VRPTW_ROWS)}",
        "VEHICLES : 4",
        "CAPACITY : 60",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        "NODE_COORD_SECTION",
    ]
    lines += [f"{r[0]} {r[1]} {r[2]}" for r in VRPTW_ROWS]
    lines += ["DEMAND_SECTION"] + [f"{r[0]} {r[3]}" for r in VRPTW_ROWS]
    lines += ["TIME_WINDOW_SECTION"] + [f"{r[0]} {r[4]} {r[5]}" for r in VRPTW_ROWS]
    lines += ["SERVICE_TIME_SECTION"] + [f"{r[0]} {r[6]}" for r in VRPTW_ROWS]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    return "\n".join(lines) + "\n"


def _run(tmp_path, text: str, *extra: str) -> tuple[int, dict | None, str]:
    instance = tmp_path / "instance.vrp"
    instance.write_text(text)
    out = tmp_path / "routes.json"
    result = CliRunner().invoke(
        app,
        [
            "route",
            "solve",
            "--vrplib",
            str(instance),
            "--seconds",
            "10",
            "--max-iterations",
            "300",
            "--output",
            str(out),
            *extra,
        ],
    )
    answer = json.loads(out.read_text()) if out.exists() else None
    return result.exit_code, answer, " ".join(result.output.split())  # rich wraps long lines


def test_cvrp_file_solved_and_written_as_specified(tmp_path):
    code, answer, output = _run(tmp_path, CVRP)
    assert code == 0, output
    assert list(answer) == ["cost", "routes", "feasible"]
    assert answer["feasible"] is True
    # each pair fills one vehicle; by hand: 10 + 5 + nint(11.18) = 26 twice,
    # and 12 + nint(3.16) + nint(13.34) = 28
    assert answer["cost"] == 80 and isinstance(answer["cost"], int)
    assert sorted(sorted(r) for r in answer["routes"]) == [[1, 2], [3, 4], [5, 6]]
    assert "cost 80 with 3 route(s), feasible" in output


def test_dimacs_rounding_keeps_one_decimal(tmp_path):
    code, answer, _ = _run(tmp_path, CVRP, "--round", "dimacs")
    assert code == 0
    # trunc(10 d): 100 + 50 + 111 twice, 120 + 31 + 133 -> 806 tenths
    assert answer["cost"] == 80.6


def test_time_windows_and_service_times_are_kept(tmp_path):
    code, answer, output = _run(tmp_path, _vrptw_text(), "--round", "dimacs")
    assert code == 0, output
    assert answer["feasible"] is True
    visited = sorted(c for r in answer["routes"] for c in r)
    assert visited == list(range(1, len(VRPTW_ROWS)))
    # replay each route in DIMACS units (times 10, truncated) and check capacity, windows and depot hours
    xy = {i: (r[1], r[2]) for i, r in enumerate(VRPTW_ROWS)}
    total = 0
    for route in answer["routes"]:
        assert sum(VRPTW_ROWS[c][3] for c in route) <= 60
        clock, here = 0, 0
        for client in route:
            travel = int(10 * math.dist(xy[here], xy[client]))
            total += travel
            start = max(clock + travel, 10 * VRPTW_ROWS[client][4])
            assert start <= 10 * VRPTW_ROWS[client][5]
            clock, here = start + 10 * VRPTW_ROWS[client][6], client
        back = int(10 * math.dist(xy[here], xy[0]))
        total += back
        assert clock + back <= 10 * VRPTW_ROWS[0][5]
    assert answer["cost"] == round(total / 10, 1)
    assert len(answer["routes"]) <= 4


def test_unservable_client_is_reported_and_marked_infeasible(tmp_path):
    text = _vrptw_text().replace(
        "3 0 60\n", "3 0 1\n"
    )  # client 2 (node 3) closes before anyone can get there
    code, answer, output = _run(tmp_path, text)
    assert code == 0
    assert answer["feasible"] is False
    assert 2 not in [c for r in answer["routes"] for c in r]
    assert sorted(c for r in answer["routes"] for c in r) == [1, 3, 4, 5, 6, 7]
    assert "unserved client 2: time window closes at" in output


def test_solomon_file_reads_like_the_vrplib_one(tmp_path):
    header = [
        "tw-7",
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        "  4         60",
        "",
        "CUSTOMER",
        "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME",
        "",
    ]
    rows = [f"{r[0] - 1:5d} {r[1]:8d} {r[2]:8d} {r[3]:8d} {r[4]:8d} {r[5]:8d} {r[6]:8d}" for r in VRPTW_ROWS]
    code, solomon, output = _run(tmp_path, "\n".join(header + rows) + "\n", "--round", "dimacs")
    assert code == 0, output
    code, vrplib_answer, _ = _run(tmp_path, _vrptw_text(), "--round", "dimacs")
    assert solomon["feasible"] is True
    assert sorted(c for r in solomon["routes"] for c in r) == list(range(1, len(VRPTW_ROWS)))
    assert solomon["cost"] == vrplib_answer["cost"]


def test_bad_files_give_a_clear_error_not_a_traceback(tmp_path):
    code, answer, output = _run(tmp_path, "this is not an instance\n")
    assert code == 2 and answer is None
    assert "not a valid VRPLIB instance" in output and "Traceback" not in output
    code, _, output = _run(tmp_path, CVRP.replace("TYPE : CVRP", "TYPE : CVRP\nDISTANCE : 30"))
    assert code == 2 and "distance: this instance field is not supported" in output
    result = CliRunner().invoke(app, ["route", "solve", "--vrplib", str(tmp_path / "missing.vrp")])
    assert result.exit_code == 2 and "cannot read" in " ".join(result.output.split())
    code, _, output = _run(tmp_path, CVRP, "--round", "ceil")
    assert code == 2 and "ceil" in output


def test_two_depots_keep_vrplib_node_numbers(tmp_path):
    text = (
        "\n".join(
            [
                "NAME : two-depots",
                "TYPE : CVRP",
                "DIMENSION : 6",
                "VEHICLES : 2",
                "CAPACITY : 10",
                "EDGE_WEIGHT_TYPE : EUC_2D",
                "NODE_COORD_SECTION",
                "1 0 0",
                "2 100 0",
                "3 3 4",
                "4 -3 4",
                "5 104 3",
                "6 96 3",
                "DEMAND_SECTION",
                "1 0",
                "2 0",
                "3 5",
                "4 5",
                "5 5",
                "6 5",
                "VEHICLES_DEPOT_SECTION",
                "1 1",
                "2 2",
                "DEPOT_SECTION",
                "1",
                "2",
                "-1",
                "EOF",
            ]
        )
        + "\n"
    )
    code, answer, output = _run(tmp_path, text)
    assert code == 0, output
    assert answer["feasible"] is True
    # nodes 0 and 1 are depots; each depot's vehicle takes its own pair: 5 + 6 + 5 and 5 + 8 + 5
    assert sorted(sorted(r) for r in answer["routes"]) == [[2, 3], [4, 5]]
    assert answer["cost"] == 34
