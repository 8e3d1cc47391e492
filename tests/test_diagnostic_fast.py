"""The typed fast path for diagnostic-settings pages gives exactly the rows of the general path."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import orjson
import payloads as p
import pytest
from hypothesis import given
from hypothesis import strategies as st
from table_rows import assert_like_general
from table_rows import rows_of as _rows
from test_properties import SETTINGS, _mutate_once

from provlytics.errors import InputError
from provlytics.normalize import diagnostic_fast, typed_fast
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page, Place
from provlytics.sources.files import FileTask, iter_task_pages
from provlytics.synthetic import generate_records, to_diagnostic

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "diagnostic"
BLOB = next(SAMPLES.rglob("PT1H.json"))
HUB = SAMPLES / "eventhub-batch.json"


def _lines_page(records: list[Any]) -> Page:
    """A `PT1H.json` page as the file source hands it over: its lines, as text."""
    lines = [orjson.dumps(record).decode() for record in records]
    numbers = list(range(1, len(lines) + 1))
    return Page(
        Origin("PT1H.json", place=Place.FILE), Container.JSON_LINES, data=lines, lines=numbers
    )


def _hub_page(records: list[Any]) -> Page:
    origin = Origin("eventhub-batch.json", place=Place.FILE)
    return Page(origin, Container.EVENT_HUB_BATCH, records=copy.deepcopy(records))


def _hub_text_page(records: list[Any]) -> Page:
    """An Event Hub page as the file source hands it over: the records' text, as an array."""
    origin = Origin("eventhub-batch.json", place=Place.FILE)
    return Page(origin, Container.EVENT_HUB_BATCH, data=orjson.dumps(records))


def _general(records: list[Any], on_error: str = "raise", *, hub: bool = False) -> PageTables:
    """The general path, on the records as parsed (the reference)."""
    page = _hub_page(records) if hub else _lines_page(records)
    page = dataclasses.replace(page, data=None, records=copy.deepcopy(records))
    return normalize_page(page, on_error=on_error)


def _fast(records: list[Any]) -> PageTables | None:
    """The fast path alone on the records' JSON lines (None: it declined)."""
    text = "[" + ",".join(orjson.dumps(r).decode() for r in records) + "]"
    fast = diagnostic_fast.tables_from_json(text)
    return fast and PageTables(fast.batches, fast.sources, records=fast.records)


def _synthetic(n: int) -> list[dict[str, Any]]:
    return [to_diagnostic(record) for record in generate_records(n, seed=7, days=2)]


def test_the_bundled_blob_takes_the_fast_path_with_the_same_rows():
    records = [orjson.loads(line) for line in BLOB.read_bytes().splitlines()]
    fast = _fast(records)
    assert fast is not None, "a plain diagnostic blob must not need the general path"
    expected = _rows(_general(records))
    assert _rows(fast) == expected
    assert _rows(normalize(_lines_page(records))) == expected
    assert expected["events"][0]["dialect"] == "diagnostic"
    assert expected["events"][0]["extra"].startswith('{"resourceId":"/tenants/f38b2ffc-')


def test_the_bundled_event_hub_batch_takes_the_fast_path_with_the_same_rows():
    records = orjson.loads(HUB.read_bytes())["records"]
    assert diagnostic_fast.tables_from_records(copy.deepcopy(records)) is not None
    expected = _rows(_general(records, hub=True))
    assert _rows(normalize(_hub_page(records))) == expected
    (page,) = iter_task_pages(FileTask(HUB))
    assert (page.container, page.records, page.first_record) == (Container.EVENT_HUB_BATCH, None, 0)
    assert orjson.loads(page.data) == records  # the records' text, not parsed
    assert diagnostic_fast.tables_from_json(page.data) is not None
    assert _rows(normalize(page)) == expected


def test_an_event_hub_file_is_cut_into_pages_of_text_that_name_their_records(tmp_path):
    records = _synthetic(5)
    records[3]["properties"]["activityDateTime"] = "not a time"
    records[3]["time"] = "not a time"
    path = tmp_path / "hub.json"
    path.write_bytes(orjson.dumps({"records": records}, option=orjson.OPT_INDENT_2))
    pages = list(iter_task_pages(FileTask(path), page_size=2))
    assert [(page.first_record, orjson.loads(page.data)) for page in pages] == [
        (0, records[0:2]),
        (2, records[2:4]),
        (4, records[4:5]),
    ]
    assert diagnostic_fast.tables_from_json(pages[1].data) is None  # the bad time
    with pytest.raises(InputError) as error:
        normalize(pages[1])
    assert str(error.value) == (
        f"{path}: record 4: 'properties.activityDateTime': not a timestamp: 'not a time'"
    )
    collected = [normalize(page, on_error="collect") for page in pages]
    assert [(t.records, len(t.rejects)) for t in collected] == [(2, 0), (2, 1), (1, 0)]


def test_synthetic_pages_take_the_fast_path_with_the_same_rows():
    records = _synthetic(300)
    assert any(isinstance(r["durationMs"], str) for r in records)  # both spellings met
    fast = _fast(records)
    assert fast is not None
    assert _rows(fast) == _rows(_general(records))
    assert len(fast.batches["errors"]) == sum(
        r["properties"]["provisioningStatusInfo"]["Status"] in ("failure", "warning")
        for r in records
    )


def test_the_documented_record_takes_the_fast_path_with_the_same_rows():
    records = [p.diagnostic_dropbox_skip(), p.diagnostic_dropbox_skip() | {"time": "x"}]
    records[1]["properties"] = dict(records[1]["properties"], id="second")
    fast = _fast(records)
    assert fast is not None
    rows = _rows(fast)
    assert rows == _rows(_general(records))
    event = rows["events"][0]
    assert (event["status"], event["skip_reason"], event["duration_ms"]) == (
        "skipped",
        "AttributeValidationFailed",
        828,
    )
    assert event["initiated_by_id"] is None  # `"Id": ""` is no id
    assert [s["step_type"] for s in rows["steps"][:4]] == [
        "import",
        "scoping",
        "matching",
        "processing",
    ]


def test_a_page_without_the_optional_fields_takes_the_fast_path_with_the_same_rows():
    record = p.diagnostic_dropbox_skip()
    for key in ("durationMs", "resourceId", "callerIpAddress", "correlationId", "Level"):
        del record[key]
    del record["properties"]["durationInMilliseconds"]
    for holder in ("sourceSystem", "targetSystem", "sourceIdentity", "targetIdentity"):
        del record["properties"][holder]["details"]
    fast = _fast([record])
    assert fast is not None
    rows = _rows(fast)
    assert rows == _rows(_general([record]))
    assert (rows["events"][0]["duration_ms"], rows["events"][0]["extra"]) == (None, None)


def _with(record: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    record = copy.deepcopy(record)
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return record


SURPRISES = {
    "an unknown envelope field": (("resourceGroup",), "rg"),
    "an unknown properties field": (("properties", "tenantDisplayName"), "Contoso"),
    "an unknown step field": (("properties", "provisioningSteps", 0, "timestamp"), "2026"),
    "properties as JSON text": (("properties",), '{"id": "a"}'),
    "a step status no table knows": (("properties", "provisioningSteps", 0, "status"), 9),
    "a duration with a fraction": (("properties", "durationInMilliseconds"), "828.5"),
    "an integer tenant": (("properties", "tenantId"), 5),
    "a time with an offset": (("properties", "activityDateTime"), "2022-08-23T15:36:50+02:00"),
    "a day the month lacks": (("properties", "activityDateTime"), "2022-02-30T13:36:50Z"),
    "year 0000": (("properties", "activityDateTime"), "0000-08-23T13:36:50Z"),
    "a details bag that is a list": (("properties", "provisioningSteps", 0, "details"), [1]),
    "an id-less record": (("properties", "id"), ""),
    "a record of another log": (("category",), "AuditLogs"),
    "a category in another case": (("category",), "provisioninglogs"),
    "a null category": (("category",), None),
}


@pytest.mark.parametrize("path, value", SURPRISES.values(), ids=SURPRISES.keys())
def test_surprises_take_the_general_path(path, value):
    record = _with(p.diagnostic_dropbox_skip(), path, value)
    assert _fast([record]) is None
    for on_error in ("raise", "collect"):
        assert_like_general(
            partial(_general, [record], on_error),
            partial(normalize, _lines_page([record]), on_error=on_error),
        )


def test_values_the_general_path_writes_anew_are_written_as_it_writes_them():
    record = _with(p.diagnostic_dropbox_skip(), ("Level",), 4.50)
    record["properties"]["sourceSystem"]["details"] = {"a": "\u00e9", "b": 1.0e3, "c": [1, 2]}
    text = orjson.dumps(record).replace(b'"\xc3\xa9"', b'"\\u00e9"')  # as another writer
    fast = diagnostic_fast.tables_from_json(b"[" + text + b"]")
    assert fast is not None
    extra = fast.batches["events"]["extra"][0].as_py()
    assert '"Level":4.5,' in extra
    assert '"sourceSystem.details":{"a":"é","b":1000.0,"c":[1,2]}' in extra
    assert extra == _general([orjson.loads(text)]).batches["events"]["extra"][0].as_py()


@pytest.mark.parametrize(
    "time",
    ["2026-11-18T09:00:20Z", "2026-11-18T09:00:20.5Z", "2026-11-18T09:00:20.123456789Z"],
)
def test_times_are_read_as_the_general_path_reads_them(time):
    record = _with(p.diagnostic_dropbox_skip(), ("properties", "activityDateTime"), time)
    fast = _fast([record])
    assert fast is not None
    assert _rows(fast) == _rows(_general([record]))


def test_a_page_of_lines_is_routed_to_the_fast_path(monkeypatch):
    seen: list[int | None] = []
    real = diagnostic_fast.tables_from_json

    def spy(data: bytes | str, **kwargs: Any) -> Any:
        fast = real(data, **kwargs)
        seen.append(None if fast is None else fast.records)
        return fast

    monkeypatch.setattr(diagnostic_fast, "tables_from_json", spy)
    records = _synthetic(5)
    normalize(_lines_page(records))
    normalize(_hub_page(records))
    graph = Page(
        Origin("g.jsonl"), Container.JSON_LINES, data=[orjson.dumps(p.v1_success_aws()).decode()]
    )
    normalize(graph)
    assert seen == [5, 5]  # the Graph line never went there


@SETTINGS
@given(data=st.data())
def test_mutated_records_give_the_rows_or_the_error_of_the_general_path(data):
    bases = [p.diagnostic_dropbox_skip, lambda: copy.deepcopy(_SYNTHETIC[1])]
    records = []
    for number in range(data.draw(st.integers(min_value=1, max_value=3), label="records")):
        record = data.draw(st.sampled_from(bases), label="base")()
        record["properties"]["id"] = f"r{number}"
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="mutations")):
            record = _mutate_once(data, record)
        records.append(record)
    kinds = (_lines_page, _hub_page, _hub_text_page)
    for on_error, kind in itertools.product(("raise", "collect"), kinds):
        page, hub = kind(records), kind is not _lines_page
        assert_like_general(
            partial(_general, records, on_error, hub=hub),
            partial(normalize, page, on_error=on_error),
            partial(_fast, records),
        )


_SYNTHETIC = _synthetic(2)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_WRITERS = {  # how other tools write JSON: escaped non-ASCII, spaces, indented, `\/`
    "orjson": orjson.dumps,
    "ascii": lambda v: json.dumps(v).encode(),
    "compact ascii": lambda v: json.dumps(v, separators=(",", ":")).encode(),
    "utf-8": lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode(),
    "indented": lambda v: json.dumps(v, indent=2, ensure_ascii=False).encode(),
    "slashes": lambda v: orjson.dumps(v).replace(b"/", b"\\/"),
}


@SETTINGS
@given(values=st.lists(_JSON, min_size=1, max_size=4), writer=st.sampled_from(sorted(_WRITERS)))
def test_texts_kept_as_written_are_those_orjson_writes(values, writer):
    raws = [msgspec.Raw(_WRITERS[writer](value)) for value in values]
    joined = b"[" + b",".join(raws) + b"]"
    if typed_fast._as_orjson_writes(joined, raws):
        assert orjson.dumps(orjson.loads(joined)) == joined


@SETTINGS
@given(
    values=st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_what_orjson_wrote_is_kept_without_writing_it_again(values):
    raws = [msgspec.Raw(orjson.dumps(value)) for value in values]
    joined = b"[" + b",".join(raws) + b"]"
    shown = joined.decode()
    looks_numeric = any(f"{c}{d}" in shown for c in ":,[" for d in "-0123456789")
    assert typed_fast._as_orjson_writes(joined, raws) or looks_numeric


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (b'{"a":"x","b":[1,-2,0]}', True),
        (b'{"a":"line\\nbreak \\"q\\" \\\\ \\u001f"}', True),
        (b'{"a": "x"}', False),  # a space orjson does not write
        (b'{"a":"x, y: [z]"}', True),  # spaces inside a string only
        (b'{"a":"\\u00e9"}', False),  # orjson writes the character itself
        (b'{"a":"\\u001F"}', False),  # orjson writes lower-case hex
        (b'{"a":"\\b\\u0008"}', False),  # orjson writes \b, not \u0008
        (b'{"a":"\\/"}', False),
        (b'{"a":1.0}', False),
        (b'{"a":1e3}', False),
        (b'{"a":-0}', False),
        (b'{"a":123456789012345678901}', False),  # beyond 64 bits: a float to orjson
        (b'{"a":"ratio:1.5"}', False),  # not sure (it is a string): written again
        (b'{"a":"x:-y","b":"[-]"}', True),  # a `-` in a string, no number after it
        (b"[" * 200 + b"]" * 200, True),
        (b"[" * 254 + b"]" * 254, False),  # orjson stops at 255 levels with the list around it
    ],
)
def test_texts_orjson_would_write_otherwise_are_told(text, kept):
    joined = b"[" + text + b"]"
    assert typed_fast._as_orjson_writes(joined, [msgspec.Raw(text)]) is kept
    if kept:
        assert orjson.dumps(orjson.loads(joined)) == joined
