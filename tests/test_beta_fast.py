"""The typed fast path for Graph beta pages and the portal's JSON download gives exactly the
rows of the general path."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import payloads as p
import pytest
from hypothesis import given
from hypothesis import strategies as st
from table_rows import assert_like_general
from table_rows import rows_of as _rows
from test_properties import SETTINGS, _mutate_once

from provlytics.normalize import beta_fast, graph_v1
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page, Place
from provlytics.sources.files import FileTask, iter_task_pages
from provlytics.synthetic import generate_records
from provlytics.synthetic.shapes import to_beta_legacy

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
BETA = "https://graph.microsoft.com/beta/$metadata#auditLogs/provisioning"


def _page(records: list[Any], kind: str) -> Page:
    """A page as the file source hands it over: a Graph page's text, a bare array's text
    (the portal's JSON download) or JSON lines."""
    origin = Origin(f"beta.{kind}", place=Place.FILE)
    if kind == "page":
        data = orjson.dumps({"@odata.context": BETA, "value": records})
        return Page(origin, Container.GRAPH_PAGE, data=data)
    if kind == "array":
        return Page(origin, Container.JSON_ARRAY, data=orjson.dumps(records))
    lines = [orjson.dumps(record).decode() for record in records]
    return Page(origin, Container.JSON_LINES, data=lines, lines=list(range(1, len(lines) + 1)))


def _general(records: list[Any], kind: str, on_error: str = "raise") -> PageTables:
    """The general path, on the records as parsed (the reference)."""
    page = dataclasses.replace(_page(records, kind), data=None, records=copy.deepcopy(records))
    return normalize_page(page, on_error=on_error)


def _fast(records: list[Any], kind: str) -> PageTables | None:
    """The fast path alone on the page's text (None: it declined)."""
    page = _page(records, kind)
    text = page.data if kind != "lines" else "[" + ",".join(page.data) + "]"
    fast = beta_fast.tables_from_json(text, portal=kind == "array")
    return fast and PageTables(fast.batches, fast.sources, records=fast.records)


def _synthetic(n: int, *, keep_new: bool) -> list[dict[str, Any]]:
    records = generate_records(n, seed=11, days=2)
    return [to_beta_legacy(record, keep_new=keep_new) for record in records]


@pytest.mark.parametrize("keep_new", [False, True], ids=["legacy", "both shapes"])
@pytest.mark.parametrize("kind", ["page", "array", "lines"])
def test_synthetic_pages_take_the_fast_path_with_the_same_rows(kind, keep_new):
    records = _synthetic(300, keep_new=keep_new)
    fast = _fast(records, kind)
    assert fast is not None, "a plain beta page must not need the general path"
    expected = _rows(_general(records, kind))
    assert _rows(fast) == expected
    assert _rows(normalize(_page(records, kind))) == expected
    dialect = "portal" if kind == "array" else "graph.beta.legacy"
    assert {event["dialect"] for event in expected["events"]} == {dialect}
    written = {s["provisioningStepType"] for r in records for s in r["provisioningSteps"]}
    assert {"Import", "import"} <= written  # some beta records capitalise them
    assert {s["step_type"] for s in expected["steps"]} == {
        "import",
        "scoping",
        "matching",
        "processing",
        "referenceResolution",
        "export",
    }


@pytest.mark.parametrize(
    "sample, dialect",
    [
        ("graph-beta/provisioning-legacy.json", "graph.beta.legacy"),
        ("portal/ProvisioningLogs.json", "portal"),
    ],
)
def test_the_bundled_files_take_the_fast_path_with_the_same_rows(sample, dialect, monkeypatch):
    seen: list[int | None] = []
    real = beta_fast.tables_from_json

    def spy(data: bytes | str, *, portal: bool = False) -> Any:
        fast = real(data, portal=portal)
        seen.append(None if fast is None else fast.records)
        return fast

    monkeypatch.setattr(beta_fast, "tables_from_json", spy)
    (page,) = iter_task_pages(FileTask(SAMPLES / sample))
    tables = normalize(page)
    assert seen == [tables.records]
    doc = orjson.loads(page.data)
    records = doc["value"] if isinstance(doc, dict) else doc
    general = normalize_page(dataclasses.replace(page, data=None, records=records))
    assert _rows(tables) == _rows(general)
    assert {event["dialect"] for event in _rows(tables)["events"]} == {dialect}


def test_the_documented_records_take_the_fast_path_with_the_same_rows():
    records = [p.beta_legacy_box(), p.both_shapes_box()]
    records[1]["id"] = "second"
    fast = _fast(records, "page")
    assert fast is not None
    rows = _rows(fast)
    assert rows == _rows(_general(records, "page"))
    assert [(e["action"], e["status"], e["error_category"]) for e in rows["events"]] == [
        ("create", "failure", "nonServiceFailure"),
        ("create", "failure", "nonServiceFailure"),
    ]


def _with(record: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    record = copy.deepcopy(record)
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return record


SURPRISES = {
    "an unknown field": (("tenantDisplayName",), "Contoso"),
    "an unknown status field": (("statusInfo", "Status"), 1),
    "an unknown step field": (("provisioningSteps", 0, "timestamp"), "2026"),
    "an action no table knows": (("action",), "Rename"),
    "an integer tenant": (("tenantId",), 5),
    "a time with an offset": (("activityDateTime",), "2022-08-23T15:36:50+02:00"),
    "a duration with a fraction": (("durationInMilliseconds",), 828.5),
    "a details bag that is a list": (("provisioningSteps", 0, "details"), [1]),
    "an id-less record": (("id",), ""),
}


@pytest.mark.parametrize("path, value", SURPRISES.values(), ids=SURPRISES.keys())
def test_surprises_take_the_general_path(path, value):
    record = _with(p.beta_legacy_box(), path, value)
    assert _fast([record], "page") is None
    for on_error in ("raise", "collect"):
        assert_like_general(
            partial(_general, [record], "page", on_error),
            partial(normalize, _page([record], "page"), on_error=on_error),
        )


def test_an_unknown_field_is_kept_in_extra_by_the_general_path():
    record = _with(p.beta_legacy_box(), ("tenantDisplayName",), "Contoso")
    (event,) = _rows(normalize(_page([record], "page")))["events"]
    assert '"tenantDisplayName":"Contoso"' in event["extra"]


def test_a_page_that_mixes_v1_and_beta_records_takes_the_general_path():
    v1 = p.v1_success_aws()
    records = [p.beta_legacy_box(), v1]
    assert graph_v1.tables_from_json(orjson.dumps(records)) is None
    assert _fast(records, "array") is None  # each record has its own dialect there
    rows = _rows(normalize(_page(records, "array")))
    assert rows == _rows(_general(records, "array"))
    assert [e["dialect"] for e in rows["events"]] == ["portal", "graph.v1"]


@SETTINGS
@given(data=st.data())
def test_mutated_records_give_the_rows_or_the_error_of_the_general_path(data):
    bases = [p.beta_legacy_box, p.both_shapes_box, lambda: copy.deepcopy(_SYNTHETIC[1])]
    records = []
    for number in range(data.draw(st.integers(min_value=1, max_value=3), label="records")):
        record = data.draw(st.sampled_from(bases), label="base")()
        record["id"] = f"r{number}"
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="mutations")):
            record = _mutate_once(data, record)
        records.append(record)
    for on_error, kind in itertools.product(("raise", "collect"), ("page", "array", "lines")):
        assert_like_general(
            partial(_general, records, kind, on_error),
            partial(normalize, _page(records, kind), on_error=on_error),
            partial(_fast, records, kind),
        )


_SYNTHETIC = _synthetic(2, keep_new=True)


def test_a_legacy_record_without_its_action_takes_the_general_path():
    """Found by hypothesis: an absent enumeration came to the typed decoder as an empty
    token (orjson.JSONDecodeError); the page now takes the general path."""
    record = p.beta_legacy_box()
    del record["action"]
    expected = _rows(_general([record], "page", "raise"))
    assert _rows(normalize(_page([record], "page"), on_error="raise")) == expected
    assert _fast([record], "page") is None
