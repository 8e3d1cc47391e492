"""The typed fast path for Graph v1.0 pages gives exactly the rows of the general path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import payloads as p
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS, _mutate_once

import provlytics as pv
from provlytics.errors import InputError
from provlytics.normalize import graph_v1
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page, Place
from provlytics.schema import LOG_TABLES

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "graph-v1"
V1_RECORDS = [p.v1_success_aws, p.v1_failure_contoso, p.v1_live_scim_group]


def _typed(data: bytes, on_error: str = "raise") -> PageTables:
    """What `pv.load` does with a page file: the typed path, falling back when it must."""
    page = Page(Origin("page.json", place=Place.FILE), Container.GRAPH_PAGE, data=data)
    tables = normalize(page, on_error=on_error)
    assert isinstance(tables, PageTables)
    return tables


def _general(data: bytes, on_error: str = "raise") -> PageTables:
    records = orjson.loads(data)["value"]
    page = Page(Origin("page.json"), Container.GRAPH_PAGE, records=records)
    return normalize_page(page, on_error=on_error)


def _record_fast_path(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The records of each page the fast path read (None: it declined), from now on."""
    seen: list[int | None] = []
    real = graph_v1.tables_from_json

    def spy(data: bytes | str) -> graph_v1.FastTables | None:
        fast = real(data)
        seen.append(None if fast is None else fast.records)
        return fast

    monkeypatch.setattr(graph_v1, "tables_from_json", spy)
    return seen


def _fast(data: bytes) -> PageTables | None:
    """What the pipeline's one entry point makes of a page (None: the general path)."""
    fast = graph_v1.tables_from_json(data)
    return fast and PageTables(fast.batches, fast.sources, records=fast.records)


def _rows(tables: PageTables) -> dict[str, Any]:
    rows: dict[str, Any] = {k: list(v) for k, v in tables.record_index.items()}
    for name in LOG_TABLES:
        rows[name] = tables.batches[name].to_pylist()
    # the same JSON, whatever the spelling (the typed path keeps the text as received)
    for event in rows["events"]:
        event["extra"] = event["extra"] and json.loads(event["extra"])
    for step in rows["steps"]:
        step["details"] = step["details"] and json.loads(step["details"])
    rows["rejects"] = [(r.origin, r.field, r.reason) for r in tables.rejects]
    return rows


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_sample_pages_take_the_typed_path_with_the_same_rows(path):
    data = path.read_bytes()
    records = graph_v1.decode_page(data)
    assert records is not None, "a plain Graph page must not need the general path"
    assert graph_v1.page_batches(records) is not None
    assert _rows(_typed(data)) == _rows(_general(data))


@pytest.mark.parametrize("factory", V1_RECORDS, ids=lambda f: f.__name__)
def test_documented_records_take_the_typed_path_with_the_same_rows(factory):
    data = orjson.dumps(p.graph_page(factory(), factory() | {"id": "second"}))
    assert graph_v1.decode_page(data) is not None
    assert _rows(_typed(data)) == _rows(_general(data))


@SETTINGS
@given(data=st.data())
def test_mutated_pages_give_the_rows_or_the_error_of_the_general_path(data):
    records = []
    for number in range(data.draw(st.integers(min_value=1, max_value=3), label="records")):
        record = data.draw(st.sampled_from(V1_RECORDS), label="base")() | {"id": f"r{number}"}
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="mutations")):
            record = _mutate_once(data, record)
        records.append(record)
    page = orjson.dumps(p.graph_page(*records))
    for on_error in ("raise", "collect"):
        try:
            expected = _rows(_general(page, on_error))
        except InputError as exc:
            with pytest.raises(InputError) as typed_error:
                _typed(page, on_error)
            assert str(typed_error.value) == str(exc)
            assert _fast(page) is None
        else:
            assert _rows(_typed(page, on_error)) == expected
            fast = _fast(page)
            assert fast is None or _rows(fast) == expected


def test_an_indented_ascii_page_gives_the_same_rows_with_compact_json_text():
    page = p.graph_page(p.v1_failure_contoso(), p.v1_live_scim_group())
    data = json.dumps(page, indent=2).encode()  # \uXXXX escapes, spaces and newlines
    assert graph_v1.decode_page(data) is not None
    typed = _typed(data)
    assert _rows(typed) == _rows(_general(data))
    texts = [*typed.batches["steps"]["details"].to_pylist()]
    texts += typed.batches["events"]["extra"].to_pylist()
    assert not any(t.startswith("{ ") or '": ' in t or "\n" in t for t in texts if t)


def test_details_text_that_looks_spaced_inside_strings_is_kept_as_written():
    record = p.v1_failure_contoso()
    note = 'said "x": y, "z"\nthen'  # looks like spaced JSON, but inside a string
    record["provisioningSteps"][0]["details"] = {"note": note, "empty": {}}
    data = orjson.dumps(p.graph_page(record))
    assert graph_v1.page_batches(graph_v1.decode_page(data)) is not None
    typed = _typed(data)
    assert _rows(typed) == _rows(_general(data))
    details = json.loads(typed.batches["steps"]["details"][0].as_py())
    assert details == {"note": note, "empty": {}}


def test_extra_holds_each_records_own_details_when_most_records_have_none():
    records = [p.v1_success_aws() | {"id": f"r{i}"} for i in range(3)]
    for record in records:
        for holder in ("sourceSystem", "targetSystem", "sourceIdentity", "targetIdentity"):
            record[holder]["details"] = {}
    records[1]["targetSystem"]["details"] = {"ApplicationId": "app-1"}
    data = orjson.dumps(p.graph_page(*records))
    assert graph_v1.page_batches(graph_v1.decode_page(data)) is not None
    extra = _typed(data).batches["events"]["extra"].to_pylist()
    assert extra == [None, '{"targetSystem.details":{"ApplicationId":"app-1"}}', None]
    assert _rows(_typed(data)) == _rows(_general(data))


def test_an_unknown_field_sends_the_page_down_the_general_path_into_extra(tmp_path):
    record = p.v1_success_aws() | {"riskLevel": "high"}
    record["targetIdentity"]["manager"] = {"id": "m-1"}
    path = p.write_json(tmp_path / "page.json", p.graph_page(record))
    assert graph_v1.decode_page(path.read_bytes()) is None
    extra = json.loads(pv.load(path, progress=False).events["extra"][0])
    assert extra["riskLevel"] == "high"
    assert extra["targetIdentity.manager"] == {"id": "m-1"}


def test_integer_enums_of_an_export_are_spelled_as_graph_spells_them(tmp_path):
    record = p.v1_failure_contoso()
    record["provisioningAction"] = 4
    record["provisioningSteps"][0]["provisioningStepType"] = 0
    path = p.write_json(tmp_path / "page.json", p.graph_page(record))
    frames = pv.load(path, progress=False)
    assert frames.events["action"][0] == "update"
    assert frames.steps["step_type"][0] == "import"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"activityDateTime": None}, "activityDateTime"),
        ({"activityDateTime": "yesterday"}, "activityDateTime"),
    ],
)
def test_a_bad_record_in_a_typed_page_is_named_by_the_general_path(tmp_path, change, field):
    page = p.graph_page(p.v1_success_aws(), p.v1_failure_contoso() | change)
    path = p.write_json(tmp_path / "page.json", page)
    with pytest.raises(InputError) as error:
        pv.load(path, progress=False)
    assert str(error.value).startswith(f"{path}: record 2")
    assert error.value.field == field
    frames = pv.load(path, progress=False, on_error="collect")
    assert frames.events["event_id"].tolist() == [p.v1_success_aws()["id"]]
    assert frames.rejects["origin"].tolist() == [f"{path}: record 2"]


def test_a_record_of_another_dialect_in_a_v1_page_is_read_as_that_dialect(tmp_path):
    legacy = p.beta_legacy_box()
    path = p.write_json(tmp_path / "page.json", p.graph_page(p.v1_success_aws(), legacy))
    dialects = pv.load(path, progress=False).events.set_index("event_id")["dialect"]
    assert dialects[legacy["id"]] == "graph.beta.legacy"
    assert dialects[p.v1_success_aws()["id"]] == "graph.v1"


def _v1_records() -> list[dict[str, Any]]:
    return [factory() | {"id": f"r{i}"} for i, factory in enumerate(V1_RECORDS)]


@pytest.mark.parametrize(
    "write",
    [
        lambda path, records: p.write_lines(path.with_suffix(".ndjson"), records, gz=True),
        lambda path, records: p.write_json(path.with_suffix(".json"), records),
    ],
    ids=["ndjson.gz", "json array"],
)
def test_lines_and_arrays_of_v1_records_take_the_typed_path_with_the_same_rows(
    tmp_path, write, monkeypatch
):
    path = write(tmp_path / "records", _v1_records())
    fast = _record_fast_path(monkeypatch)
    pv.load(path, progress=False, workers=1)
    assert fast == [3]  # one page, its three records read by the fast path
    as_page = p.write_json(tmp_path / "page" / "page.json", p.graph_page(*_v1_records()))
    loaded, expected = pv.load(path, progress=False), pv.load(as_page, progress=False)
    for name in LOG_TABLES:
        assert loaded.table(name).equals(expected.table(name)), name


def test_two_records_on_one_json_line_are_a_bad_line_not_two_records(tmp_path):
    first, second, third = (json.dumps(r) for r in _v1_records())
    path = tmp_path / "logs.ndjson"
    path.write_text(f"{first}\n{second},{third}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"logs\.ndjson:2.*not valid JSON"):
        pv.load(path, progress=False)


def test_cleared_and_unlogged_property_values_stay_apart_on_both_paths():
    record = p.v1_failure_contoso()
    record["modifiedProperties"] = [
        {"displayName": "mobile", "oldValue": "+1 555", "newValue": ""},
        {"displayName": "title", "oldValue": None, "newValue": "Lead"},
        {"displayName": "mail", "oldValue": "", "newValue": None},
    ]
    data = orjson.dumps(p.graph_page(record))
    typed, general = _rows(_typed(data)), _rows(_general(data))
    assert typed == general
    assert [(r["old_value"], r["new_value"]) for r in typed["modified_properties"]] == [
        ("+1 555", ""),
        (None, "Lead"),
        ("", None),
    ]


def test_a_page_saved_with_select_takes_the_typed_path_with_the_same_rows():
    records = [
        {"id": "s1", "activityDateTime": "2024-04-10T06:30:12Z", "jobId": "scim.x.y"},
        {"id": "s2", "activityDateTime": "2024-04-10T06:31:12Z", "changeId": "c2"},
    ]
    data = orjson.dumps(p.graph_page(*records))
    decoded = graph_v1.decode_page(data)
    assert decoded is not None and graph_v1.page_batches(decoded) is not None
    typed = _rows(_typed(data))
    assert typed == _rows(_general(data))
    assert [(e["event_id"], e["action"], e["status"], e["dialect"]) for e in typed["events"]] == [
        ("s1", None, None, "graph.v1"),
        ("s2", None, None, "graph.v1"),
    ]


def test_an_unknown_enumeration_member_sends_the_page_to_the_general_path():
    record = p.v1_failure_contoso() | {"provisioningAction": "teleport"}
    data = orjson.dumps(p.graph_page(record))
    decoded = graph_v1.decode_page(data)
    assert decoded is not None and graph_v1.page_batches(decoded) is None
    tables = _typed(data)
    rows = _rows(tables)
    assert rows["events"][0]["action"] is None
    assert rows["events"][0]["extra"]["provisioningAction"] == "teleport"
    # given up, for the pipeline to warn (`given_up`): the page names the field and value
    [given_up] = tables.given_up
    assert given_up.field == "provisioningAction"
    assert given_up.reasons == ["not a known enumeration member: 'teleport'"]


def test_tables_from_json_is_the_fast_path_of_one_page():
    data = (
        Path(__file__).parents[1] / "data/samples/graph-v1/provisioning-page-001.json"
    ).read_bytes()
    fast = graph_v1.tables_from_json(data)
    records = graph_v1.decode_page(data)
    assert fast is not None and fast.records == len(records)
    assert fast.batches["events"].num_rows == len(records)
    assert graph_v1.tables_from_json(b'{"value": [{"id": "1", "surprise": true}]}') is None


def test_escaped_text_gives_the_decoded_values_on_the_fast_path():
    record = p.v1_failure_contoso()
    record["sourceIdentity"]["displayName"] = 'Zoë "Z" \\ O\'Neil\nline\u0000end'
    record["provisioningSteps"][0]["description"] = "tab\there"
    record["modifiedProperties"] = [{"displayName": "x\u00e9", "oldValue": "", "newValue": 'a"b'}]
    data = json.dumps(p.graph_page(record, p.v1_success_aws())).encode()  # ASCII, \u escapes
    fast = _fast(data)
    assert fast is not None
    assert _rows(fast) == _rows(_general(data))
    assert (
        fast.batches["events"]["source_name"][0].as_py() == record["sourceIdentity"]["displayName"]
    )
    assert fast.batches["steps"]["description"][0].as_py() == "tab\there"
    assert fast.batches["modified_properties"].to_pylist()[0]["new_value"] == 'a"b'


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"tenantId": 7}, "a number where v1.0 gives text"),
        ({"durationInMilliseconds": 1.5}, "not a whole number"),
        ({"provisioningAction": 4}, "an integer enumeration (exports)"),
    ],
)
def test_a_value_of_another_type_takes_the_general_path(change, why):
    data = orjson.dumps(p.graph_page(p.v1_success_aws() | change))
    assert graph_v1.tables_from_json(data) is None, why
    assert graph_v1.decode_page(data) is None, why
    assert _rows(_typed(data)) == _rows(_general(data))


def test_text_that_is_not_utf8_takes_the_general_path():
    data = orjson.dumps(p.graph_page(p.v1_failure_contoso()))
    bad = data.replace(b'"details":{', b'"details":{"x":"\xff",', 1)
    assert graph_v1.tables_from_json(bad) is None
    assert graph_v1.decode_page(bad) is None
    assert graph_v1.tables_from_json(data.decode()) is not None  # text as str: the same


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"displayName":"Self-service Pilot"', b'"displayName":"Self-service \xffPilot"'),
        (b'"description":"Failed to create', b'"description":"Failed \xc3 to create'),
        (b'"newValue":"False"', b'"newValue":"Fa\xe2\x82lse"'),
        (b'"errorCategory":"nonServiceFailure"', b'"errorCategory":"non\xffServiceFailure"'),
        (b'{"ReportableIdentifier":"Self', b'{"ReportableIdentifier":"\xfe Self'),
        (
            b'"Azure Active Directory","details":{}',
            b'"Azure Active Directory","details":{"a":"\xff"}',
        ),
    ],
    ids=["event text", "step text", "property value", "enum", "step details", "system details"],
)
def test_bytes_that_are_not_utf8_in_any_value_take_the_general_path(old, new):
    data = orjson.dumps(p.graph_page(p.v1_failure_contoso()))
    assert old in data
    bad = data.replace(old, new, 1)
    assert graph_v1.tables_from_json(bad) is None
    with pytest.raises(InputError, match="not valid JSON"):
        _typed(bad)


@pytest.mark.parametrize(
    ("details", "skip_reason", "reportable"),
    [
        ([{"ReportableIdentifier": []}, {"SkipReason": 0}], None, None),
        ([{"ReportableIdentifier": []}, {"ReportableIdentifier": "x"}], None, "x"),
        ([{"ReportableIdentifier": 0}, {}], None, "0"),
        ([{"SkipReason": "A"}, {"SkipReason": ""}, {"SkipReason": 7}], "7", None),
    ],
)
def test_skip_reasons_and_identifiers_of_any_json_type_read_as_the_general_path(
    details, skip_reason, reportable
):
    record = p.v1_failure_contoso()
    steps = record["provisioningSteps"]
    for step, bag in zip(steps, details + [{}] * (len(steps) - len(details)), strict=True):
        step["details"] = bag
    data = orjson.dumps(p.graph_page(record, p.v1_success_aws()))
    fast = _fast(data)
    assert fast is not None
    assert _rows(fast) == _rows(_general(data))
    event = fast.batches["events"].to_pylist()[0]
    assert (event["skip_reason"], event["reportable_identifier"]) == (skip_reason, reportable)


def test_an_escaped_lone_surrogate_takes_the_general_path():
    data = orjson.dumps(p.graph_page(p.v1_failure_contoso(), p.v1_success_aws()))
    bad = data.replace(b'"description":"Failed to create', b'"description":"\\ud800 create', 1)
    assert bad != data
    assert graph_v1.tables_from_json(bad) is None
    with pytest.raises(InputError, match="not valid JSON"):
        _typed(bad)
