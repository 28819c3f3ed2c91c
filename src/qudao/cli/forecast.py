"""``qudao forecast file``: forecast a plain long-format CSV (unique_id, ds, y) without a database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qudao.cli.context import console, fail, settings

app = typer.Typer(help="Demand forecasts.", no_args_is_help=True)

_STEPS = {"validate": 0, "classify": 1, "backtest and forecast": 2, "forecast": 7}
_TOTAL = 8


@app.command("file")
def forecast_file(
    input: Path = typer.Option(..., "--input", "-i", help="CSV in long format: unique_id,ds,y"),
    horizon: int = typer.Option(..., "--horizon", "-h", help="Periods to forecast"),
    freq: str = typer.Option(..., "--freq", help="pandas frequency alias: D, W, MS, QS, ..."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write"),
    season_length: int | None = typer.Option(None, help="Override the season length inferred from --freq"),
    profile: str = typer.Option("fast", help="fast (restricted model spaces) or full (whole spaces, slower)"),
    duplicates: str = typer.Option("error", help="error, or sum duplicate (unique_id, ds) rows"),
    negatives: str = typer.Option("error", help="error, or clip negative values to 0"),
    jobs: int = typer.Option(-1, help="Processes (-1: all cores)"),
    dask_scheduler: str | None = typer.Option(
        None, help="Dask scheduler address (default: QUDAO_DASK_SCHEDULER when set)"),
) -> None:
    """Forecast every series of INPUT; write unique_id,ds,forecast,lo_80,hi_80,lo_95,hi_95,model."""
    import pandas as pd

    from qudao.engines.forecast import ForecastInputError, ForecastOptions, run_forecast

    if duplicates not in ("error", "sum"):
        raise fail(f"--duplicates: must be 'error' or 'sum', got {duplicates!r}")
    if negatives not in ("error", "clip"):
        raise fail(f"--negatives: must be 'error' or 'clip', got {negatives!r}")
    if not input.is_file():
        raise fail(f"--input: file not found: {input}")
    try:
        frame = pd.read_csv(input, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise fail(f"--input: cannot read {input} as CSV: {exc}") from None
    options = ForecastOptions(profile=profile, duplicates=duplicates, negatives=negatives, n_jobs=jobs,
                              dask_scheduler=dask_scheduler or settings().dask_scheduler)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("forecasting", total=_TOTAL)

        def tick(step: str, done: int, total: int) -> None:
            bar.update(task, completed=_STEPS.get(step, 0) + (done if step != "forecast" else 1),
                       description=f"{step} ({done}/{total})")

        try:
            result = run_forecast(frame, horizon, freq, season_length, options, progress=tick)
        except ForecastInputError as exc:
            raise fail(f"{input}: the forecast cannot run:\n" + "\n".join(f"  - {p}" for p in exc.problems)) \
                from None
    out = result.forecast.copy()
    daily = (out["ds"] == out["ds"].dt.normalize()).all()
    out["ds"] = out["ds"].dt.strftime("%Y-%m-%d" if daily else "%Y-%m-%dT%H:%M:%S")
    output.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output, index=False, float_format="%.4f")

    report = result.input_report
    console.print(f"{report.n_series} series, {len(out)} forecast rows (h={horizon}, freq={freq}, "
                  f"season length {result.season_length}) -> [bold]{output}[/]")
    if not report.gaps_filled:
        console.print(f"no gaps (rule: {report.gap_rule})", highlight=False)
    for note in result.notes:
        console.print(note, highlight=False)
    for uid, count in sorted(report.gaps_filled.items())[:10]:
        console.print(f"  {uid}: {count} period(s) filled with 0", highlight=False)
    if len(report.gaps_filled) > 10:
        console.print(f"  ... and {len(report.gaps_filled) - 10} more series", highlight=False)
    chosen = result.series["model"].value_counts()
    console.print("models: " + ", ".join(f"{name} {count}" for name, count in chosen.items()), highlight=False)


@app.command("run")
def forecast_run(
    grain: str = typer.Option("week", help="day, week or month"),
    horizon: int = typer.Option(13, help="Periods of the grain to forecast"),
    sku: list[str] = typer.Option([], "--sku", help="Only this SKU (repeat for several; default: all)"),
    location: list[str] = typer.Option([], "--location", help="Only this location code (repeat)"),
    channel: list[str] = typer.Option([], "--channel", help="Only this channel code (repeat)"),
    history_end: str | None = typer.Option(None, help="Last day of history used, YYYY-MM-DD (default: latest)"),
    profile: str = typer.Option("fast", help="fast (restricted model spaces) or full"),
    reconcile: str = typer.Option("none", help="none (roll-ups sum the SKU forecasts) or ols (also forecast "
                                  "total, category and channel nodes and reconcile them)"),
    jobs: int = typer.Option(-1, help="Processes (-1: all cores)"),
) -> None:
    """Forecast every SKU x location x channel from the demand history and store the run."""
    from pydantic import ValidationError

    from qudao.cli.context import command_transaction, session_factory
    from qudao.common.actor import SYSTEM
    from qudao.db import unit_of_work
    from qudao.forecasting import service
    from qudao.forecasting.schemas import ForecastRunCreate

    try:
        data = ForecastRunCreate(grain=grain, horizon=horizon, skus=sku, locations=location, channels=channel,
                                 history_end=history_end, profile=profile, reconcile=reconcile)
    except ValidationError as exc:
        raise fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    with command_transaction() as session:
        run_id = service.start_run(session, SYSTEM, data).id
    with Progress(TextColumn("run {task.fields[run]}: {task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("loading history", total=1.0, run=run_id)
        status = service.execute_run(
            lambda: unit_of_work(session_factory()), SYSTEM, run_id, n_jobs=jobs,
            dask_scheduler=settings().dask_scheduler,
            on_progress=lambda step, fraction: bar.update(task, completed=fraction, description=step))
    with command_transaction() as session:
        run = service.get_run(session, SYSTEM, run_id)
    if status != "succeeded":
        raise fail(f"forecast run {run_id} failed: {run.error}", code=1)
    summary = run.summary
    console.print(f"forecast run [bold]{run_id}[/] succeeded: {summary['series']} series, {summary['values']} values "
                  f"({run.grain}, h={run.horizon}), history {summary['history']['start']} to "
                  f"{summary['history']['end']}, {summary['seconds']} s", highlight=False)
    console.print("classes: " + ", ".join(f"{k} {v}" for k, v in summary["classes"].items()), highlight=False)
    console.print("models: " + ", ".join(f"{k} {v}" for k, v in summary["models"].items()), highlight=False)
    console.print(f"stockout days treated as missing demand: {summary['history']['stockout_days_unconstrained']}",
                  highlight=False)
    uplift = summary["events"]["uplift"]
    console.print("event uplift: " + (", ".join(f"{k} x{v}" for k, v in uplift.items()) or "no events learnt"),
                  highlight=False)
    if summary["reconciliation"]["method"] != "none":
        console.print(f"reconciled ({summary['reconciliation']['method']}) over {summary['reconciliation']['nodes']} "
                      f"nodes", highlight=False)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


@app.command("accuracy")
def forecast_accuracy(run_id: int = typer.Argument(..., help="Forecast run id")) -> None:
    """Measure RUN_ID against the actuals that have arrived; print WAPE, MASE, bias and FVA by demand class."""
    from rich.table import Table

    from qudao.cli.context import command_transaction
    from qudao.common.actor import SYSTEM
    from qudao.forecasting import queries
    from qudao.forecasting.accuracy import measure_accuracy

    with command_transaction() as session:
        result = measure_accuracy(session, SYSTEM, run_id)
        by_class = [r for r in queries.accuracy_trend(session, SYSTEM, by="class") if r["run_id"] == run_id]
    table = Table(title=f"forecast run {run_id}: accuracy through {result['measured_through']}")
    for column in ("group", "series", "periods", "WAPE", "MASE", "bias", "naive WAPE", "FVA"):
        table.add_column(column, justify="left" if column == "group" else "right")
    rows = [*by_class, {**(result["overall"] or {}), "group": "all"}]
    for r in rows:
        mase = "-" if r.get("mase") is None else f"{r['mase']:.2f}"
        table.add_row(str(r["group"]), str(r.get("series", 0)), str(r.get("periods", 0)), _pct(r.get("wape")), mase,
                      _pct(r.get("bias")), _pct(r.get("naive_wape")), _pct(r.get("fva")))
    console.print(table)
