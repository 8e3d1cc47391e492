"""Property-based: whatever a record looks like, normalizing gives valid rows or an InputError."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import payloads as p
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provlytics.errors import InputError
from provlytics.normalize.batch import normalize_page
from provlytics.normalize.jobs import build_job_batch
from provlytics.origin import Container, Origin, Page
from provlytics.schema import LOG_TABLES, SCHEMAS
from provlytics.tables import FramesBuilder

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# (name, record factory, container hint, JSON-text fields to mutate inside)
BASES = [
    ("graph.v1 success", p.v1_success_aws, None, ()),
    ("graph.v1 failure", p.v1_failure_contoso, None, ()),
    ("graph.v1 live", p.v1_live_scim_group, None, ()),
    ("beta legacy", p.beta_legacy_box, None, ()),
    ("beta both shapes", p.both_shapes_box, None, ()),
    ("portal array", p.beta_legacy_box, Container.JSON_ARRAY, ()),
    ("diagnostic", p.diagnostic_dropbox_skip, None, ()),
    ("on-demand", p.on_demand_skipped, None, ("key", "value")),
    ("log analytics", p.log_analytics_row, None, ("ProvisioningSteps", "SourceIdentity")),
]

# Numbers stay within int64 (what Graph's Edm.Int32/Int64 can hold); values beyond it are
# covered by the deterministic tests in test_sources.py, so that this file never flakes.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
unknown_keys = st.text(min_size=1, max_size=10).filter(lambda k: not k.startswith("@"))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indices) to a value inside a JSON document."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.append((*prefix, i))
            found += _paths(value, (*prefix, i))
    return found


def _containers(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths of every object inside a JSON document (the root included)."""
    found = [prefix] if isinstance(node, dict) else []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in children:
        found += _containers(value, (*prefix, key))
    return found


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _mutate_once(data: st.DataObject, doc: Any) -> Any:
    """Apply one random mutation to a JSON document (returns the new root)."""
    kind = data.draw(st.sampled_from(["drop", "replace", "insert", "case", "unicode"]))
    if kind == "insert":
        target = _get(doc, data.draw(st.sampled_from(_containers(doc) or [()])))
        if isinstance(target, dict):
            target[data.draw(unknown_keys)] = data.draw(json_values)
        return doc
    paths = _paths(doc)
    if not paths:
        return doc
    path = data.draw(st.sampled_from(paths))
    parent, key = _get(doc, path[:-1]), path[-1]
    value = parent[key]
    if kind == "drop":
        del parent[key]
    elif kind == "replace":
        parent[key] = data.draw(json_values.filter(lambda v: type(v) is not type(value)))
    elif kind == "case" and isinstance(value, str):
        parent[key] = data.draw(st.sampled_from([value.upper(), value.lower(), value.swapcase()]))
    elif kind == "unicode":
        parent[key] = data.draw(st.text(max_size=20))
    return doc


def _mutated_record(data: st.DataObject) -> tuple[Any, str | None]:
    _name, factory, hint, text_fields = data.draw(st.sampled_from(BASES), label="base")
    record = factory()
    decoded = {f: json.loads(record[f]) for f in text_fields if isinstance(record.get(f), str)}
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
        if decoded and data.draw(st.booleans()):
            field = data.draw(st.sampled_from(sorted(decoded)))
            decoded[field] = _mutate_once(data, decoded[field])
        else:
            record = _mutate_once(data, record)
    for field, value in decoded.items():
        if isinstance(record, dict) and field in record:
            record[field] = json.dumps(value)
    return record, hint


def _normalize(record: Any, hint: Container | None) -> None:
    """Normalize one record; every batch must match its declared schema."""
    page = Page(Origin("mutated.json"), hint or Container.JSON_LINES, records=[record])
    result = normalize_page(page)
    for name in LOG_TABLES:
        assert result.batches[name].schema == SCHEMAS[name]
    builder = FramesBuilder()
    builder.add(result)
    frames = builder.build()
    events = frames.table("events")
    assert events.num_rows <= 1
    assert frames.table("errors").num_rows <= events.num_rows
    if events.num_rows:
        row = events.to_pylist()[0]
        assert row["event_id"] and row["activity_time"] is not None
        assert all(value != "" for value in row.values())
        if row["extra"] is not None:
            assert isinstance(json.loads(row["extra"]), dict)
    for step in frames.table("steps").to_pylist():
        if step["details"] is not None:
            json.loads(step["details"])


@SETTINGS
@given(data=st.data())
def test_mutated_records_give_rows_or_input_error(data):
    record, hint = _mutated_record(data)
    try:
        _normalize(record, hint)
    except InputError as exc:
        assert str(exc).startswith("mutated.json: record 1")


@SETTINGS
@given(data=st.data())
def test_collect_mode_never_raises_on_bad_records(data):
    records = [_mutated_record(data)[0] for _ in range(3)]
    good = {**p.v1_success_aws(), "id": "the-good-record"}  # an id no mutation produces
    result = normalize_page(
        Page(Origin("mixed.json"), Container.JSON_LINES, records=[*records, good]),
        on_error="collect",
    )
    events = result.batches["events"]["event_id"].to_pylist()
    assert "the-good-record" in events
    # each record is an event, a reject or (an on-demand "{}") nothing; that a reject is
    # listed only once is test_sources.py::test_collect_mode_lists_each_rejected_record_once
    rejected = {reject.origin for reject in result.rejects}
    assert rejected <= {f"mixed.json: record {n}" for n in (1, 2, 3)}
    assert len(events) + len(rejected) <= 4
    assert all(reject.reason for reject in result.rejects)


ENUM_PATHS = [
    ("provisioningAction",),
    ("provisioningStatusInfo", "status"),
    ("provisioningStatusInfo", "errorInformation", "errorCategory"),
    ("initiatedBy", "initiatorType"),
    *((("provisioningSteps", i, "provisioningStepType")) for i in range(3)),
    *((("provisioningSteps", i, "status")) for i in range(3)),
]


@SETTINGS
@given(
    cases=st.lists(
        st.sampled_from([str.upper, str.lower, str.swapcase, str.title]),
        min_size=len(ENUM_PATHS),
        max_size=len(ENUM_PATHS),
    )
)
def test_enum_spelling_never_changes_the_rows(cases):
    original = p.v1_failure_contoso()
    record = copy.deepcopy(original)
    for path, change in zip(ENUM_PATHS, cases, strict=True):
        parent = _get(record, path[:-1])
        parent[path[-1]] = change(parent[path[-1]])
    expected = normalize_page(
        Page(Origin("a.json"), Container.JSON_LINES, records=[original])
    ).batches
    actual = normalize_page(Page(Origin("a.json"), Container.JSON_LINES, records=[record])).batches
    for name in LOG_TABLES:
        assert actual[name].equals(expected[name]), name


@SETTINGS
@given(data=st.data())
def test_mutated_jobs_give_a_row_or_input_error(data):
    job = p.job_quarantined_aws()
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        job = _mutate_once(data, job)
    try:
        batch = build_job_batch(
            [job],
            observed_time=datetime(2021, 5, 25, tzinfo=UTC),
            service_principal_id=None,
            origin=Origin("jobs.json"),
        )
    except InputError as exc:
        assert str(exc).startswith("jobs.json")
    else:
        assert batch.schema == SCHEMAS["job_status"]
        assert batch.num_rows == 1
