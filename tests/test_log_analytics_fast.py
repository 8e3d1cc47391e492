"""The typed fast path for Log Analytics exports gives exactly the rows of the general path."""

from __future__ import annotations

import copy
import csv
import dataclasses
import itertools
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from table_rows import assert_like_general
from table_rows import rows_of as _rows
from test_properties import SETTINGS, _mutate_once

from provlytics.normalize import log_analytics_fast
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, CsvRows, Origin, Page, Place
from provlytics.sources.files import file_tasks, iter_task_pages
from provlytics.synthetic import generate_records
from provlytics.synthetic.shapes import LA_COLUMNS, WORKSPACE_ID, to_log_analytics

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "log-analytics"


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a CSV export gives it: every cell text, empty cells None."""
    return {k: None if v is None or v == "" else str(v) for k, v in row.items()}


def _batch(rows: list[Any]) -> pa.RecordBatch | None:
    """CSV rows as Arrow reads them ("" where empty); None if no CSV file holds them (rows
    with other columns, a cell that is not text)."""
    if not rows or not all(type(row) is dict for row in rows):
        return None
    names = list(rows[0])
    if not all(list(row) == names and all(type(k) is str for k in row) for row in rows):
        return None
    if not all(v is None or type(v) is str for row in rows for v in row.values()):
        return None
    columns = [pa.array([row[name] or "" for row in rows], pa.string()) for name in names]
    return pa.RecordBatch.from_arrays(columns, names=names)


def _page(rows: list[Any], kind: str) -> Page:
    """A page as the file source hands it over: a JSON array's text, CSV rows (from the
    `csv` module), or CSV rows as Arrow's columns ("arrow")."""
    origin = Origin(f"AADProvisioningLogs.{kind}", place=Place.FILE)
    if kind == "json":
        return Page(origin, Container.JSON_ARRAY, data=orjson.dumps(rows))
    lines = list(range(2, len(rows) + 2))
    if kind == "arrow":
        table = CsvRows(_batch(rows))  # type: ignore[arg-type]
        return Page(origin, Container.CSV, table=table, lines=lines)
    return Page(origin, Container.CSV, records=copy.deepcopy(rows), lines=lines)


def _general(rows: list[Any], kind: str, on_error: str = "raise") -> PageTables:
    """The general path, on the rows as parsed (the reference)."""
    page = _page(rows, kind)
    records = page.table.records() if page.table is not None else copy.deepcopy(rows)
    page = dataclasses.replace(page, data=None, table=None, records=records)
    return normalize_page(page, on_error=on_error)


def _fast(rows: list[Any], kind: str) -> PageTables | None:
    if kind == "json":
        fast = log_analytics_fast.tables_from_json(orjson.dumps(rows))
    elif kind == "arrow":
        fast = log_analytics_fast.tables_from_csv(_batch(rows))  # type: ignore[arg-type]
    else:
        fast = log_analytics_fast.tables_from_records(copy.deepcopy(rows))
    return fast and PageTables(fast.batches, fast.sources, records=fast.records)


def _synthetic(n: int, kind: str) -> list[dict[str, Any]]:
    rows = [to_log_analytics(record) for record in generate_records(n, seed=13, days=2)]
    return rows if kind == "json" else [_csv_row(row) for row in rows]


@pytest.mark.parametrize("kind", ["json", "csv", "arrow"])
def test_synthetic_pages_take_the_fast_path_with_the_same_rows(kind):
    rows = _synthetic(300, kind)
    fast = _fast(rows, kind)
    assert fast is not None, "a plain export must not need the general path"
    expected = _rows(_general(rows, kind))
    assert _rows(fast) == expected
    assert _rows(normalize(_page(rows, kind))) == expected
    event = expected["events"][0]
    assert event["dialect"] == "log_analytics"
    assert event["extra"].startswith(f'{{"TenantId":"{WORKSPACE_ID}","SourceSystem":"Azure",')
    assert event["tenant_id"] == rows[0]["AADTenantId"]


def test_the_bundled_exports_take_the_fast_path_with_the_same_rows(monkeypatch):
    seen: list[tuple[str, int | None]] = []

    def spied(name: str) -> Any:
        real = getattr(log_analytics_fast, name)

        def spy(data: Any) -> Any:
            fast = real(data)
            seen.append((name, None if fast is None else fast.records))
            return fast

        return spy

    for name in ("tables_from_json", "tables_from_csv"):
        monkeypatch.setattr(log_analytics_fast, name, spied(name))
    for task in file_tasks(SAMPLES):
        (page,) = iter_task_pages(task)
        tables = normalize(page)
        records = page.table.records() if page.table is not None else orjson.loads(page.data)
        general = normalize_page(dataclasses.replace(page, data=None, table=None, records=records))
        assert _rows(tables) == _rows(general)
    assert seen == [("tables_from_csv", 80), ("tables_from_json", 40)]  # CSV, then JSON


def test_a_query_api_result_takes_the_fast_path_with_the_same_rows(tmp_path):
    rows = _synthetic(5, "json")
    doc = {"tables": [{"name": "PrimaryResult", "columns": [{"name": c} for c in LA_COLUMNS]}]}
    doc["tables"][0]["rows"] = [[row[c] for c in LA_COLUMNS] for row in rows]
    path = tmp_path / "query.json"
    path.write_bytes(orjson.dumps(doc))
    (page,) = [page for task in file_tasks(path) for page in iter_task_pages(task)]
    assert page.container is Container.LOG_ANALYTICS_TABLE
    assert log_analytics_fast.tables_from_records(copy.deepcopy(page.records)) is not None
    assert _rows(normalize(page)) == _rows(normalize_page(page))


def test_a_csv_export_file_takes_the_fast_path_with_the_same_rows(tmp_path):
    rows = _synthetic(50, "json")
    path = tmp_path / "AADProvisioningLogs.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LA_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    (page,) = [page for task in file_tasks(path) for page in iter_task_pages(task)]
    assert page.table is not None
    fast = log_analytics_fast.tables_from_csv(page.table.rows)
    assert fast is not None
    records = dataclasses.replace(page, table=None, records=page.table.records())
    expected = _rows(normalize_page(records))
    assert _rows(PageTables(*fast[:2], records=fast.records)) == expected
    assert _rows(normalize(page)) == expected
    from_records = log_analytics_fast.tables_from_records(copy.deepcopy(records.records))
    assert from_records is not None
    assert _rows(PageTables(*from_records[:2], records=from_records.records)) == expected


def _with(row: dict[str, Any], column: str, value: Any) -> dict[str, Any]:
    return {**row, column: value}


SURPRISES = {
    "a decorated header": lambda r: {
        ("TimeGenerated [UTC]" if k == "TimeGenerated" else k): v for k, v in r.items()
    },
    "an unknown column": lambda r: _with(r, "_ResourceId", "/subscriptions/x"),
    "a JSON column as an object": lambda r: _with(r, "InitiatedBy", {"Id": "a"}),
    "a JSON column that is not JSON": lambda r: _with(r, "TargetSystem", "{oops"),
    "a JSON column holding two values": lambda r: _with(r, "ModifiedProperties", "[],[]"),
    "a step status no table knows": lambda r: _with(
        r, "ProvisioningSteps", '[{"name":"a","provisioningStepType":0,"status":9}]'
    ),
    "an odd time": lambda r: _with(r, "TimeGenerated", "2026-11-17 09:40:27"),
}


@pytest.mark.parametrize("change", SURPRISES.values(), ids=SURPRISES.keys())
@pytest.mark.parametrize("kind", ["json", "csv", "arrow"])
def test_surprises_take_the_general_path(change, kind):
    rows = [change(row) for row in _synthetic(2, "json")]
    if kind != "json":
        rows = [{k: v if isinstance(v, str | None) else str(v) for k, v in r.items()} for r in rows]
    assert _fast(rows, kind) is None
    for on_error in ("raise", "collect"):
        assert_like_general(
            partial(_general, rows, kind, on_error),
            partial(normalize, _page(rows, kind), on_error=on_error),
        )


@pytest.mark.parametrize("kind", ["json", "arrow"])
def test_blank_json_columns_are_read_as_null(kind):
    rows = [_with(row, "ProvisioningStatusInfo", " ") for row in _synthetic(3, kind)]
    rows[1]["ProvisioningSteps"] = ""
    rows[2]["InitiatedBy"] = "\t\r\n\f\v "
    fast = _fast(rows, kind)
    assert fast is not None
    assert _rows(fast) == _rows(_general(rows, kind))
    events = _rows(fast)["events"]  # the status from `ResultType`, no initiator in row 3
    assert [e["status"] for e in events] == ["skipped", "skipped", "success"]
    assert [e["initiated_by_name"] for e in events] == ["Azure AD Provisioning Service"] * 2 + [
        None
    ]


def test_csv_cells_json_writes_escaped_take_the_general_path():
    rows = _synthetic(2, "arrow")
    rows[0]["TenantId"] = 'ws "1"'
    assert _fast(rows, "arrow") is None
    (event, _) = _rows(normalize(_page(rows, "arrow")))["events"]
    assert event["extra"].startswith('{"TenantId":"ws \\"1\\"","SourceSystem":"Azure",')
    assert _rows(normalize(_page(rows, "arrow"))) == _rows(_general(rows, "arrow"))


def test_an_unknown_column_is_kept_in_extra_by_the_general_path():
    rows = [_with(row, "_ResourceId", "/subscriptions/x") for row in _synthetic(1, "json")]
    (event,) = _rows(normalize(_page(rows, "json")))["events"]
    assert '"_ResourceId":"/subscriptions/x"' in event["extra"]


_JSON_COLUMNS = ("SourceIdentity", "InitiatedBy", "ProvisioningStatusInfo", "ProvisioningSteps")


@SETTINGS
@given(data=st.data())
def test_mutated_rows_give_the_rows_or_the_error_of_the_general_path(data):
    rows = []
    for number in range(data.draw(st.integers(min_value=1, max_value=3), label="rows")):
        row = copy.deepcopy(data.draw(st.sampled_from(_SYNTHETIC), label="base"))
        row["Id"] = f"r{number}"
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="mutations")):
            column = data.draw(st.sampled_from([None, *_JSON_COLUMNS]), label="where")
            inner = _json_value(row.get(column)) if column and isinstance(row, dict) else None
            if inner is None:  # the row itself (or a column no longer JSON text)
                row = _mutate_once(data, row)
                continue
            row[column] = orjson.dumps(_mutate_once(data, inner)).decode()
        rows.append(row)
    for on_error, kind in itertools.product(("raise", "collect"), ("json", "csv", "arrow")):
        page_rows = rows if kind == "json" else [_stringly(row) for row in rows]
        if kind == "arrow" and _batch(page_rows) is None:
            continue  # rows no CSV file holds
        assert_like_general(
            partial(_general, page_rows, kind, on_error),
            partial(normalize, _page(page_rows, kind), on_error=on_error),
            partial(_fast, page_rows, kind),
        )


def _json_value(text: Any) -> Any:
    """The object or list a JSON column's text holds; None for anything else."""
    try:
        value = orjson.loads(text) if isinstance(text, str) else None
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict | list) else None


def _stringly(row: Any) -> Any:
    """A row as a CSV export could hold it: every cell text (a row that is no object: as is)."""
    if not isinstance(row, dict):
        return row
    return {
        str(k): v if v is None or isinstance(v, str) else orjson.dumps(v).decode()
        for k, v in row.items()
    }


_SYNTHETIC = _synthetic(3, "json")
