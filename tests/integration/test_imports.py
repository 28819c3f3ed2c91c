"""Master-data import and export: row-by-row reports, nothing written on bad input, round trips, CLI and API."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from qudao import migrate
from qudao.audit.models import AuditRecord
from qudao.catalog.models import Category, Product
from qudao.common.actor import SYSTEM
from qudao.db import make_engine, make_session_factory, unit_of_work
from qudao.errors import Invalid
from qudao.imports import service
from qudao.imports.schemas import FileFormat, TransferKind
from qudao.partners.models import Partner
from tests import factories

K = TransferKind


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def run(session, settings, kind: TransferKind, content: bytes, name: str = "data.csv", **options):  # type: ignore[no-untyped-def]
    return service.import_master_data(session, SYSTEM, settings, kind, content, name, **options)


def problems(exc: pytest.ExceptionInfo[Invalid]) -> set[tuple[int | None, str]]:
    return {(e.row, e.field) for e in exc.value.errors}


BAD_PRODUCTS = csv_bytes(
    "sku,name_zh,name_en,category_code,list_price,lifecycle",
    "IMP-1,绿茶,Green tea,IMPCAT,12.50,active",      # row 2: good
    "IMP-2,红茶,Black tea,IMPCAT,9.90,zombie",       # row 3: unknown lifecycle value
    "IMP-1,绿茶,Green tea again,IMPCAT,12.50,",      # row 4: duplicate SKU inside the file
    "IMP-OLD,旧,Old,IMPCAT,1,",                      # row 5: SKU already in the database
    "IMP-3,乌龙,Oolong,NOPE,5,",                     # row 6: unknown category
    "IMP-4,普洱,Pu'er,IMPCAT,abc,",                  # row 7: not a number
    "IMP-5,白茶,White tea,IMPCAT,8,,surplus",        # row 8: more cells than columns
)


def test_bad_rows_are_reported_by_row_and_field_and_nothing_is_written(session, settings) -> None:
    factories.category(session, code="IMPCAT")
    factories.product(session, sku="IMP-OLD")
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.products, BAD_PRODUCTS)
    assert problems(exc) == {(3, "lifecycle"), (4, "sku"), (5, "sku"), (6, "category_code"), (7, "list_price"),
                             (8, "file")}
    assert "6 of 7 rows are invalid; nothing was written" in exc.value.detail
    reasons = {(e.row, e.field): e.reason for e in exc.value.errors}
    assert "also on row 2" in reasons[(4, "sku")]
    assert "already exists" in reasons[(5, "sku")]
    assert "'NOPE'" in reasons[(6, "category_code")]
    assert "zombie" in reasons[(3, "lifecycle")]
    assert session.scalar(select(Product.id).where(Product.sku == "IMP-1")) is None


def test_skip_invalid_writes_the_good_rows_and_lists_the_skipped(session, settings) -> None:
    factories.category(session, code="IMPCAT")
    factories.product(session, sku="IMP-OLD")
    report = run(session, settings, K.products, BAD_PRODUCTS, skip_invalid=True)
    assert (report.rows, report.valid, report.created, report.skipped) == (7, 1, 1, 6)
    assert report.skipped_rows == [3, 4, 5, 6, 7, 8]
    product = session.scalar(select(Product).where(Product.sku == "IMP-1"))
    assert product.category_code == "IMPCAT" and str(product.list_price) == "12.5000"
    assert product.lifecycle == "active" and product.uom == "EA" and product.brand == ""
    trail = session.scalars(select(AuditRecord).where(AuditRecord.action == "import")).all()
    assert len(trail) == 1 and trail[0].after["created"] == 1 and trail[0].after["skipped_rows"] == [3, 4, 5, 6, 7, 8]


def test_gbk_csv_from_chinese_excel_is_read(session, settings) -> None:
    content = "code,name_zh,name_en\nGBK-1,饮料,Drinks\n".encode("gbk")
    assert run(session, settings, K.categories, content).created == 1
    assert session.scalar(select(Category.name_zh).where(Category.code == "GBK-1")) == "饮料"


def test_dry_run_reports_without_writing(session, settings) -> None:
    factories.category(session, code="IMPCAT")
    report = run(session, settings, K.products, csv_bytes("sku,name_zh,name_en", "DRY-1,甲,A", "DRY-2,,B"),
                 dry_run=True)
    assert (report.valid, report.created) == (1, 0)
    assert [(e.row, e.field) for e in report.errors] == [(3, "name_zh")]
    assert session.scalar(select(Product.id).where(Product.sku == "DRY-1")) is None


def test_partner_with_unknown_role_and_location_of_archived_partner(session, settings) -> None:
    factories.partner(session, code="GONE-1")
    from qudao.partners import service as partners

    partners.archive_partner(session, SYSTEM, "GONE-1")
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.partners, csv_bytes("code,name,roles", "NEWP-1,新伙伴,distributor;wizard"))
    assert problems(exc) == {(2, "roles")}
    assert "wizard" in exc.value.errors[0].reason
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.locations, csv_bytes("code,name,kind,owner_partner_code",
                                                      "LOC-GONE,Old shop,store,GONE-1"))
    assert problems(exc) == {(2, "owner_partner_code")}
    assert "archived" in exc.value.errors[0].reason


def test_unknown_and_missing_columns_are_header_errors(session, settings) -> None:
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.products, csv_bytes("sku,name_zh,colour", "X-1,甲,red"))
    assert problems(exc) == {(1, "colour"), (1, "name_en")}


def test_parent_codes_resolve_inside_the_file_and_cycles_are_refused(session, settings) -> None:
    report = run(session, settings, K.categories, csv_bytes(
        "code,name_zh,name_en,parent_code", "T-LEAF,叶,Leaf,T-MID", "T-MID,中,Mid,T-TOP", "T-TOP,顶,Top,"))
    assert report.created == 3
    leaf = session.scalar(select(Category).where(Category.code == "T-LEAF"))
    assert leaf.path == "/T-TOP/T-MID/T-LEAF/"
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.categories, csv_bytes(
            "code,name_zh,name_en,parent_code", "C-A,甲,A,C-B", "C-B,乙,B,C-A", "C-C,丙,C,C-C"))
    assert problems(exc) == {(2, "parent_code"), (3, "parent_code"), (4, "parent_code")}


def test_a_row_pointing_at_a_skipped_row_is_skipped_too(session, settings) -> None:
    report = run(session, settings, K.channels, csv_bytes(
        "code,name_zh,name_en,kind,parent_code", "SK-TOP,顶,Top,nonsense,", "SK-SUB,子,Sub,retail,SK-TOP",
        "SK-OK,好,Fine,retail,"), skip_invalid=True)
    assert report.skipped_rows == [2, 3] and report.created == 1


def test_oversized_files_are_refused(session, settings) -> None:
    content = csv_bytes("sku,name_zh,name_en", *(f"BIG-{i},甲,A" for i in range(5)))
    with pytest.raises(Invalid) as exc:
        run(session, settings.model_copy(update={"import_max_bytes": 40}), K.products, content)
    assert exc.value.errors[0].field == "file" and "limit" in exc.value.errors[0].reason
    with pytest.raises(Invalid) as exc:
        run(session, settings.model_copy(update={"import_max_rows": 3}), K.products, content)
    assert exc.value.errors[0].field == "file" and "3 data rows" in exc.value.errors[0].reason
    assert session.scalar(select(func.count()).where(Product.sku.like("BIG-%"))) == 0


def _seed_master_data(session) -> None:  # type: ignore[no-untyped-def]
    factories.category(session, code="RT-TOP")
    factories.category(session, code="RT-SUB", parent_code="RT-TOP", name_zh="子类")
    factories.product(session, sku="RT-2", category_code="RT-SUB", weight_kg="1.25", shelf_life_days=90)
    factories.product(session, sku="RT-1", category_code="RT-TOP", successor_sku="RT-2", substitute_skus=["RT-2"],
                      barcode="00123", allows_fractional=True, lifecycle="phase_out")
    factories.channel(session, code="RT-CH")
    factories.channel(session, code="RT-CH2", parent_code="RT-CH", kind="retail")
    factories.partner(session, code="RT-P1", roles=["brand", "manufacturer"], channel_code="RT-CH")
    factories.partner(session, code="RT-P2", parent_code="RT-P1", credit_limit="1000.50", tax_id="91310000")
    factories.location(session, code="RT-L1", owner_partner_code="RT-P2", channel_code="RT-CH2",
                       latitude=31.2304, longitude=121.4737, city="上海")


ORDER = (K.categories, K.channels, K.partners, K.locations, K.products)


@pytest.mark.parametrize("fmt", [FileFormat.xlsx, FileFormat.csv])
def test_export_then_import_into_an_empty_database_gives_the_same_rows(fresh_database_url, backend, settings,
                                                                       fmt) -> None:
    urls = [fresh_database_url(backend), fresh_database_url(backend)]
    engines = []
    for url in urls:
        migrate.upgrade(url)
        engines.append(make_engine(url))
    try:
        source, target = (make_session_factory(e) for e in engines)
        with unit_of_work(source) as session:
            _seed_master_data(session)
        exported = {}
        with unit_of_work(source) as session:
            for kind in ORDER:
                exported[kind] = b"".join(service.export_master_data(session, SYSTEM, kind, fmt).chunks)
        with unit_of_work(target) as session:
            for kind in ORDER:
                report = run(session, settings, kind, exported[kind], f"{kind}.{fmt}")
                assert report.created == report.rows > 0
        with unit_of_work(target) as session:
            for kind in ORDER:
                again = b"".join(service.export_master_data(session, SYSTEM, kind, fmt).chunks)
                assert _cells(again, fmt) == _cells(exported[kind], fmt), kind
            product = session.scalar(select(Product).where(Product.sku == "RT-1"))
            assert product.successor_sku == "RT-2" and product.substitute_skus == ["RT-2"]
            assert product.barcode == "00123" and product.allows_fractional is True
            partner = session.scalar(select(Partner).where(Partner.code == "RT-P2"))
            assert str(partner.credit_limit) == "1000.5000"
    finally:
        for e in engines:
            e.dispose()


def _cells(content: bytes, fmt: FileFormat) -> list[tuple[object, ...]]:
    if fmt == FileFormat.csv:
        return [tuple(line.split(",")) for line in content.decode().splitlines()]
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def test_api_import_and_export_for_planners_only(client, session, settings) -> None:
    planner = factories.headers(settings, factories.user(session, "planner"))
    viewer = factories.headers(settings, factories.user(session, "viewer"))
    body = csv_bytes("code,name_zh,name_en", "API-CAT,接口,API category")
    files = {"file": ("cats.csv", body, "text/csv")}
    dry = client.post("/api/v1/imports/categories", params={"dry_run": True}, files=files, headers=planner)
    assert dry.status_code == 200, dry.text
    assert dry.json()["valid"] == 1 and dry.json()["created"] == 0
    done = client.post("/api/v1/imports/categories", files=files, headers=planner)
    assert done.status_code == 200 and done.json()["created"] == 1
    again = client.post("/api/v1/imports/categories", files=files, headers=planner)
    assert again.status_code == 422
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["errors"][0] | {"reason": ""} == {"row": 2, "field": "code", "reason": ""}
    assert client.post("/api/v1/imports/categories", files=files, headers=viewer).status_code == 403
    assert client.post("/api/v1/imports/widgets", files=files, headers=planner).status_code == 422
    exported = client.get("/api/v1/exports/categories", headers=planner)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.text.splitlines()[0] == "code,name_zh,name_en,parent_code"
    assert "API-CAT,接口,API category," in exported.text
    xlsx = client.get("/api/v1/exports/categories", params={"format": "xlsx"}, headers=planner)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/v1/exports/categories", headers=viewer).status_code == 403


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from qudao.cli import context
    from qudao.config import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QUDAO_DATABASE_URL", url)
    get_settings.cache_clear()
    context.session_factory.cache_clear()
    migrate.upgrade(url)
    yield url
    get_settings.cache_clear()
    context.session_factory.cache_clear()


def test_cli_import_and_export(cli_env: str, tmp_path) -> None:
    from qudao.cli.main import app

    runner = CliRunner()
    cats = tmp_path / "cats.csv"
    cats.write_bytes(csv_bytes("code,name_zh,name_en", "CLI-CAT,命令,CLI"))
    ok = runner.invoke(app, ["import", "categories", str(cats)])
    assert ok.exit_code == 0, ok.output
    assert "created 1" in ok.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("sku,name_zh,name_en,lifecycle", "CLI-1,甲,A,zombie", "CLI-2,乙,B,"))
    failed = runner.invoke(app, ["import", "products", str(bad)])
    assert failed.exit_code != 0
    assert "lifecycle" in failed.output and "nothing was written" in failed.output
    skipped = runner.invoke(app, ["import", "products", str(bad), "--skip-invalid"])
    assert skipped.exit_code == 0 and "skipped rows 2" in skipped.output
    out = tmp_path / "products.xlsx"
    exported = runner.invoke(app, ["export", "products", str(out)])
    assert exported.exit_code == 0 and "wrote 1 products" in exported.output
    rows = list(openpyxl.load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == "CLI-2"
    missing = runner.invoke(app, ["import", "products", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "no such file" in " ".join(missing.output.split())
    unknown = tmp_path / "data.txt"
    unknown.write_text("x")
    assert "cannot tell the format" in runner.invoke(app, ["import", "products", str(unknown)]).output


def test_damaged_workbook_and_control_characters(session, settings) -> None:
    with pytest.raises(Invalid) as exc:
        run(session, settings, K.products, b"PK\x03\x04 not really a zip", "broken.xlsx")
    assert problems(exc) == {(None, "file")}
    factories.category(session, code="CTRL-1", name_en="Bell\x07 and tab")
    content = b"".join(service.export_master_data(session, SYSTEM, K.categories, FileFormat.xlsx).chunks)
    rows = _cells(content, FileFormat.xlsx)
    assert ("CTRL-1", "品类CTRL-1", "Bell and tab") in [r[:3] for r in rows]
