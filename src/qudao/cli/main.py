"""The ``qudao`` command line."""

from __future__ import annotations

import typer

from qudao.cli import crm as crm_cli
from qudao.cli import db, demo, forecast, route, transfer, users
from qudao.cli import inventory as inventory_cli
from qudao.cli import logistics as logistics_cli
from qudao.cli import loyalty as loyalty_cli
from qudao.cli import orders as orders_cli
from qudao.cli import plan as plan_cli
from qudao.cli import production as production_cli
from qudao.cli import purchasing as purchasing_cli
from qudao.cli import segments as segments_cli
from qudao.cli import suppliers as suppliers_cli
from qudao.cli.context import console, settings

app = typer.Typer(help="Qudao 渠道: channel supply chain and customer relationships.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(orders_cli.app, name="orders")
app.add_typer(inventory_cli.app, name="inventory")
app.add_typer(purchasing_cli.app, name="purchasing")
app.add_typer(suppliers_cli.app, name="suppliers")
app.add_typer(production_cli.app, name="production")
app.add_typer(route.app, name="route")
app.add_typer(forecast.app, name="forecast")
app.add_typer(plan_cli.app, name="plan")
app.add_typer(logistics_cli.app, name="logistics")
app.add_typer(loyalty_cli.app, name="loyalty")
app.add_typer(segments_cli.app, name="segments")
app.add_typer(crm_cli.app, name="crm")
app.command("demo")(demo.demo_command)
app.command("import")(transfer.import_command)
app.command("export")(transfer.export_command)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port"),
    init: bool = typer.Option(True, help="Apply migrations and load the demo data when the database is empty"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    if init:
        from qudao.cli.db import prepare_database

        prepare_database()
    console.print(f"Qudao is serving on [bold]http://{host}:{port}[/]  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("qudao.api.app:create_app", factory=True, host=host, port=port, reload=reload,
                log_level="info")


@app.command()
def version() -> None:
    """Print the version and the database in use."""
    from qudao import __version__

    console.print(f"qudao {__version__}; database {settings().database_url.split('@')[-1]}")
