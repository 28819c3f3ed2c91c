"""``qudao route``: delivery routes on plain files (VRPLIB / Solomon benchmark instances)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from qudao.cli.context import console, fail
from qudao.errors import QudaoError

app = typer.Typer(help="Delivery route optimisation.", no_args_is_help=True)


class Rounding(StrEnum):
    round = "round"
    dimacs = "dimacs"
    exact = "exact"


@app.command("solve")
def solve(
    vrplib_path: Path = typer.Option(..., "--vrplib", help="Instance in VRPLIB (or Solomon) format"),
    seconds: float = typer.Option(10.0, help="Search time budget in seconds"),
    rounding: Rounding = typer.Option(
        Rounding.round, "--round", help="round for CVRPLIB instances, dimacs for Solomon-style ones"
    ),
    output: Path | None = typer.Option(None, help="Write the routes JSON here (default: print it)"),
    seed: int = typer.Option(0, help="Random seed"),
    max_iterations: int | None = typer.Option(
        None,
        min=1,
        help="Also stop after this many iterations "
        "(the same seed and limit give the same routes under any load)",
    ),
) -> None:
    """Solve a benchmark instance and write {"cost", "routes", "feasible"} (depot 0, clients 1..n-1)."""
    from qudao.engines.routing.vrplib_io import solve_vrplib

    if seconds <= 0:
        raise fail("--seconds: must be positive")
    try:
        answer, result = solve_vrplib(
            vrplib_path, seconds=seconds, rounding=rounding.value, seed=seed, max_iterations=max_iterations
        )
    except QudaoError as exc:
        raise fail(str(exc)) from None
    text = json.dumps(answer)
    if output is None:
        typer.echo(text)
    else:
        try:
            output.write_text(text + "\n")
        except OSError as exc:
            raise fail(f"--output: cannot write {output}: {exc.strerror or exc}") from None
        console.print(
            f"cost {answer['cost']} with {len(answer['routes'])} route(s), "
            f"{'feasible' if answer['feasible'] else '[bold red]not feasible[/]'}; written to {output}"
        )
    for stop in result.unserved:
        console.print(f"[yellow]unserved[/] client {stop.stop_id}: {stop.reason}", highlight=False)
