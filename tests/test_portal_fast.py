"""Portal CSV the fast way: Arrow's CSV reader gives the `csv` module's rows, and the
columnar normalizer gives the general path's tables, exactly."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from table_rows import assert_like_general
from table_rows import rows_of as _rows
from test_properties import SETTINGS

from provlytics.normalize import portal_fast
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import PORTAL_PROPERTIES_KEY, PORTAL_STEPS_KEY, Container, Origin, Page
from provlytics.sources.files import file_tasks, iter_task_pages
from provlytics.synthetic import generate_records, write_portal_csv

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "portal"


def _write(folder: Path, records: list[dict[str, Any]]) -> Path:
    """The portal's three CSV files of `records`, as the portal writes them."""
    write_portal_csv(folder, records)
    return folder


def _pages(folder: Path) -> list[Page]:
    return [page for task in file_tasks(folder) for page in iter_task_pages(task)]


def _general(page: Page, on_error: str = "raise") -> PageTables:
    return normalize_page(page, on_error=on_error)


# --- the columnar normalizer: the general path's tables ------------------------------------


def _as_rows(page: Page) -> Page:
    """A page of Arrow columns as the page of rows the `csv` module would have made."""
    assert page.table is not None, "a plain download must be read by Arrow"
    return dataclasses.replace(page, table=None, records=page.table.records())


def test_synthetic_downloads_take_the_fast_path_with_the_same_rows(tmp_path):
    records = list(generate_records(300, seed=5, days=2))
    pages = _pages(_write(tmp_path, records))
    assert [page.container for page in pages] == [Container.PORTAL_CSV]
    (page,) = pages
    rows = _as_rows(page)
    fast = portal_fast.tables_from_csv(page.table)
    assert fast is not None, "a plain portal download must not need the general path"
    expected = _rows(_general(rows))
    assert _rows(PageTables(fast.batches, fast.sources, records=fast.records)) == expected
    assert _rows(normalize(page)) == expected
    from_rows = portal_fast.tables_from_rows(copy.deepcopy(rows.records))
    assert from_rows is not None
    assert _rows(PageTables(*from_rows[:2], records=from_rows.records)) == expected
    assert {event["dialect"] for event in expected["events"]} == {"portal"}
    assert len(expected["errors"]) == sum(
        r["provisioningStatusInfo"]["status"] in ("failure", "warning") for r in records
    )


def test_the_bundled_download_takes_the_fast_path_with_the_same_rows():
    (page,) = [p for p in _pages(SAMPLES) if p.container is Container.PORTAL_CSV]
    assert portal_fast.tables_from_csv(page.table) is not None
    assert _rows(normalize(page)) == _rows(_general(_as_rows(page)))


def _page(records: list[dict[str, Any]]) -> Page:
    lines = list(range(2, len(records) + 2))
    return Page(Origin("ProvisioningLogs.csv"), Container.PORTAL_CSV, records=records, lines=lines)


def _sample_rows() -> list[dict[str, Any]]:
    (page,) = [p for p in _pages(SAMPLES) if p.container is Container.PORTAL_CSV]
    return _as_rows(page).records[:3]


def _event(rows: list[dict], header: str, value: Any) -> list[dict]:
    rows[0][header] = value
    return rows


def _step(rows: list[dict], header: str, value: Any) -> list[dict]:
    rows[0][PORTAL_STEPS_KEY][0][header] = value
    return rows


SURPRISES = {
    "an unknown header": lambda rows: [dict(r, Region="EU") for r in rows],
    "an unknown step header": lambda rows: [
        dict(r, **{PORTAL_STEPS_KEY: [dict(s, Extra="x") for s in r[PORTAL_STEPS_KEY]]})
        for r in rows
    ],
    "an action no table knows": lambda rows: _event(rows, "Action", "Rename"),
    "a duration with a fraction": lambda rows: _event(rows, "Duration (ms)", "8.5"),
    "a time with an offset": lambda rows: _event(rows, "Date (UTC)", "2026-11-21T10:00:00+01:00"),
    "an id-less row": lambda rows: _event(rows, "Id", None),
    "details that are not JSON": lambda rows: _step(rows, "Details", "{oops"),
    "details that are a list": lambda rows: _step(rows, "Details", "[1]"),
    "a step number that is no number": lambda rows: _step(rows, "Step Number", "two"),
}


@pytest.mark.parametrize("change", SURPRISES.values(), ids=SURPRISES.keys())
def test_surprises_take_the_general_path(change):
    rows = change(_sample_rows())
    assert portal_fast.tables_from_rows(copy.deepcopy(rows)) is None
    for on_error in ("raise", "collect"):
        assert_like_general(
            partial(_general, _page(copy.deepcopy(rows)), on_error),
            partial(normalize, _page(copy.deepcopy(rows)), on_error=on_error),
        )


def test_an_unknown_header_is_kept_in_extra_by_the_general_path():
    rows = [dict(r, Region="EU") for r in _sample_rows()]
    events = _rows(normalize(_page(rows)))["events"]
    assert [e["extra"] for e in events] == ['{"Region":"EU"}'] * 3


def test_steps_out_of_order_are_put_in_step_number_order():
    rows = _sample_rows()
    rows[0][PORTAL_STEPS_KEY].reverse()
    fast = portal_fast.tables_from_rows(copy.deepcopy(rows))
    assert fast is not None
    expected = _rows(_general(_page(rows)))
    assert _rows(PageTables(fast.batches, fast.sources, records=fast.records)) == expected
    assert expected["steps"][0]["step_type"] == "import"


_TEXT = st.none() | st.text(max_size=8) | st.sampled_from(
    ["", "0", "12", "-3", " 7 ", "Create", "failure", "Import", "{}", '{"SkipReason":"x"}', "[]",
     "NonServiceFailure", "2026-11-21T10:00:00Z", "2026-11-21T10:00:00.1234567Z"]
)  # fmt: skip


@SETTINGS
@given(data=st.data())
def test_changed_cells_give_the_rows_or_the_error_of_the_general_path(data):
    rows = _sample_rows()
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="changes")):
        row = data.draw(st.sampled_from(rows), label="row")
        kind = data.draw(st.sampled_from(["event", "step", "property"]), label="kind")
        holder = row
        if kind != "event":
            children = row[PORTAL_STEPS_KEY if kind == "step" else PORTAL_PROPERTIES_KEY]
            if not children:
                continue
            holder = data.draw(st.sampled_from(children), label="child")
        header = data.draw(st.sampled_from(sorted(holder)), label="header")
        if header.startswith("@"):
            continue
        holder[header] = data.draw(_TEXT, label="value")
    for on_error in ("raise", "collect"):
        raised = assert_like_general(
            partial(_general, _page(copy.deepcopy(rows)), on_error),
            partial(normalize, _page(copy.deepcopy(rows)), on_error=on_error),
        )
        if raised is not None:
            assert portal_fast.tables_from_rows(copy.deepcopy(rows)) is None


def test_a_page_of_rows_without_companions_takes_the_general_path():
    rows = [{k: v for k, v in r.items() if not k.startswith("@")} for r in _sample_rows()]
    assert portal_fast.tables_from_rows(rows) is None
    assert dataclasses.replace(_page(rows)).records == rows


def _drop_column(path: Path, header: str) -> None:
    """The file without one of its columns."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    at = rows[0].index(header)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([r[:at] + r[at + 1 :] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8-sig")


def test_empty_cells_and_missing_columns_of_arrow_pages_give_the_general_paths_rows(tmp_path):
    paths = write_portal_csv(tmp_path, generate_records(60, seed=8, days=1))
    _drop_column(paths[0], "Recommended Action")  # a column the download lacks: null
    _drop_column(paths[1], "Description")
    (page,) = [p for p in _pages(tmp_path) if p.container is Container.PORTAL_CSV]
    assert page.table is not None
    fast = portal_fast.tables_from_csv(page.table)
    assert fast is not None
    expected = _rows(_general(_as_rows(page)))
    assert _rows(PageTables(*fast[:2], records=fast.records)) == expected
    assert {e["recommended_action"] for e in expected["errors"]} == {None}
    assert {s["description"] for s in expected["steps"]} == {None}
    assert len(expected["events"]) == 60


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        (
            "Date (UTC)",
            "11/22/2026 23:51",
            "'Date (UTC)': not an ISO timestamp: '11/22/2026 23:51'",
        ),
        ("Id", "", "'Id': is missing"),
    ],
)
def test_a_bad_cell_is_named_by_its_header(tmp_path, header, value, message):
    import provlytics as pv

    for path in SAMPLES.glob("*.csv"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    main = tmp_path / "ProvisioningLogs.csv"
    rows = list(csv.reader(io.StringIO(main.read_text(encoding="utf-8-sig"))))
    rows[1][rows[0].index(header)] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    main.write_text(text.getvalue(), encoding="utf-8")
    with pytest.raises(pv.InputError) as raised:
        pv.load(tmp_path)
    assert str(raised.value) == f"{main}:2: record 1: {message}"
