"""Every `pv.analysis` helper given a store or snapshot path gives exactly what it gives on
the frames `pv.read_parquet` reads from it: on the bundled samples (a store and a snapshot)
and on a generated store (`bench/analysis_data.py`, written in two loads so that its files
are not in the tables' order)."""

from __future__ import annotations

import dataclasses
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import provlytics as pv
from provlytics.analysis.path_tables import PathTables
from provlytics.errors import ConfigError
from provlytics.scan import read_table
from provlytics.schema import TABLE_NAMES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.analysis_data import build_frames

A = pv.analysis
WHO = "lukasz.brown98@corp.contoso.com"
# a job of the samples and one of the generated store, in other cases than logged
JOBS = [
    "SALESFORCE.f38b2ffc80a44f5a91c9bc701e7ea419.f3f49249-dc28-4f90-a5ae-c7978306d03b",
    "SCIM.f38b2ffc80a44f5a91c9bc701e7ea419.00000001-aaaa-4bbb-8ccc-000000000001",
]
# (label, call) of every public helper, with the options that change what is read
CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("drilldown", lambda f: A.drilldown(f, "EntryConflict")),
    ("drilldown failure", lambda f: A.drilldown(f, "entryconflict", status="failure")),
    ("drilldown absent", lambda f: A.drilldown(f, "NoSuchCode")),
    ("error_codes", lambda f: A.error_codes(f)),
    ("error_codes warning", lambda f: A.error_codes(f, status="warning")),
    ("failed_steps", lambda f: A.failed_steps(f)),
    ("failed_steps warning", lambda f: A.failed_steps(f, status="warning")),
    ("failure_summary", lambda f: A.failure_summary(f, by=["error_code"])),
    ("timeline", lambda f: A.timeline(f)),
    ("timeline by system", lambda f: A.timeline(f, "1d", by="target_system_name", status="both")),
    ("timeline total", lambda f: A.timeline(f, "6h", by=None)),
    ("success_rate", lambda f: A.success_rate(f, freq="1h")),
    ("slowest", lambda f: A.slowest(f, n=7)),
    ("step_funnel", lambda f: A.step_funnel(f)),
    ("step_funnel all", lambda f: A.step_funnel(f, by=None)),
    ("skip_reasons", lambda f: A.skip_reasons(f)),
    ("activity_by_app", lambda f: A.activity_by_app(f)),
    ("objects_by_type", lambda f: A.objects_by_type(f)),
    ("attribute_changes", lambda f: A.attribute_changes(f)),
    ("attribute_changes one", lambda f: A.attribute_changes(f, "Department")),
    ("conflicts", lambda f: A.conflicts(f)),
    ("job_health", lambda f: A.job_health(f)),
    ("alerts", lambda f: A.alerts(f, window="6h")),
    ("cycles", lambda f: A.cycles(f)),
    ("identity_history", lambda f: A.identity_history(f, WHO)),
    ("retry_storms", lambda f: A.retry_storms(f, min_cycles=2)),
    ("recovery", lambda f: A.recovery(f)),
    ("filter_frames", lambda f: A.filter_frames(f, since="2d", until="1h")),
    ("filter_frames jobs", lambda f: A.filter_frames(f, since="3d", job_id=JOBS)),
]
# rows of each result on the sample store (so that every comparison compares something)
SAMPLE_ROWS = {
    "drilldown": 58,
    "drilldown failure": 58,
    "drilldown absent": 0,
    "error_codes": 9,
    "error_codes warning": 1,
    "failed_steps": 14,
    "failed_steps warning": 1,
    "failure_summary": 9,
    "timeline": 1944,
    "timeline by system": 45,
    "timeline total": 36,
    "success_rate": 216,
    "slowest": 7,
    "step_funnel": 40,
    "step_funnel all": 6,
    "skip_reasons": 3,
    "activity_by_app": 32,
    "objects_by_type": 2,
    "attribute_changes": 5259,
    "attribute_changes one": 707,
    "conflicts": 66,
    "job_health": 6,
    "alerts": 5,
    "cycles": 1005,
    "identity_history": 21,
    "retry_storms": 22,
    "recovery": 196,
    "filter_frames": 139,
    "filter_frames jobs": 171,
}


def warning_of(label: str, kind: str) -> str | None:
    """The start of the `UserWarning` a call gives on purpose: a value the data lacks (the
    JOBS of the other dataset, WHO on the generated store, an error code nobody has)."""
    if label == "drilldown absent":
        return "error code 'NoSuchCode' is not present in this data"
    if label == "identity_history" and kind == "generated":
        return f"identity_history: no event names {WHO!r}"
    if label == "filter_frames jobs":
        absent = JOBS[0] if kind == "generated" else JOBS[1]
        return f"job_id {absent!r} is not present in this data"
    return None


def rows(result: Any) -> int:
    if isinstance(result, pd.DataFrame):
        return len(result)
    return len(result.events)  # IdentityHistory, ProvisioningFrames


def assert_same(got: Any, expected: Any) -> None:
    """Equal DataFrames, or equal parts (IdentityHistory fields, the five tables)."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    elif isinstance(expected, A.IdentityHistory):
        for field in dataclasses.fields(expected):
            pd.testing.assert_frame_equal(getattr(got, field.name), getattr(expected, field.name))
    else:
        for name in ("events", "steps", "modified_properties", "errors", "job_status"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
        assert got.sources == expected.sources


@pytest.fixture(scope="module")
def folders(
    samples: pv.ProvisioningFrames, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("paths")
    pv.load_to_parquet("data/samples", root / "store", progress=False)
    samples.to_parquet(root / "snapshot")
    generated = build_frames(4000, days=3, jobs=3)
    jobs = sorted(generated.events["job_id"].unique())
    # two loads into the same date partitions: reading their files one after the other
    # gives the rows out of the tables' order, whichever file comes first
    for chosen in (jobs[2:], jobs[:2]):
        A.filter_frames(generated, job_id=chosen).to_parquet(root / "generated", store=True)
    return {"store": root / "store", "snapshot": root / "snapshot", "generated": root / "generated"}


@pytest.mark.parametrize("kind", ["store", "snapshot", "generated"])
@pytest.mark.parametrize(("label", "call"), CALLS, ids=[label for label, _ in CALLS])
def test_path_gives_the_frames_result(
    folders: dict[str, Path], kind: str, label: str, call: Callable[[Any], Any]
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = call(pv.read_parquet(folders[kind]))
        got = call(str(folders[kind]))
    assert_same(got, expected)
    warned = [str(w.message) for w in caught]
    start = warning_of(label, kind)
    assert len(warned) == (0 if start is None else 2), warned  # once on frames, once on the path
    assert all(w.startswith(start) and w == warned[0] for w in warned), warned
    if kind == "store":
        assert rows(got) == SAMPLE_ROWS[label]


def test_generated_store_has_something_to_compare(folders: dict[str, Path]) -> None:
    frames = pv.read_parquet(folders["generated"])
    assert frames.counts()["events"] == 4000
    assert len(A.drilldown(folders["generated"], "EntryConflict")) == 136
    assert len(A.retry_storms(folders["generated"], min_cycles=2)) == 26
    assert len(A.filter_frames(folders["generated"], since="2d", until="1h").events) == 2557
    absent = re.escape(f"job_id {JOBS[0]!r} is not present in this data")
    with pytest.warns(UserWarning, match=absent):
        scoped = A.filter_frames(folders["generated"], since="3d", job_id=JOBS)
    assert len(scoped.events) == 1314


def test_tables_read_from_a_path_are_in_the_frames_order(folders: dict[str, Path]) -> None:
    tables = PathTables(folders["generated"])
    raw = read_table(tables._sources["events"], "events", ["activity_time"])["activity_time"]
    assert raw.to_pylist() != sorted(raw.to_pylist())  # the files are not in time order
    frames = pv.read_parquet(folders["generated"])
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(tables.frame(name, []), getattr(frames, name))
    errors = frames.errors
    failed = errors[(errors["status"] == "failure").to_numpy(bool)].reset_index(drop=True)
    got = tables.frame("errors", [], ds.field("status") == "failure")
    pd.testing.assert_frame_equal(got, failed)
    steps = frames.steps[frames.steps["event_id"].isin(failed["event_id"]).to_numpy(bool)]
    got = tables.frame("steps", [], ds.field("event_id").isin(pa.array(failed["event_id"])))
    pd.testing.assert_frame_equal(got, steps.reset_index(drop=True))


def test_drilldown_of_an_absent_code_names_close_ones(folders: dict[str, Path]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert A.drilldown(folders["store"], "SalesforceEntryConflict", status="warning").empty
        assert caught == []  # the code is there, with failures only
        assert A.drilldown(folders["store"], "EntryConflic", status="warning").empty
    assert [(w.category, str(w.message), w.filename) for w in caught] == [
        (
            UserWarning,
            "error code 'EntryConflic' is not present in this data; closest present: "
            "EntryConflict, SalesforceEntryConflict",
            __file__,  # the warning points at the caller's line, not at provlytics
        )
    ]


def test_bad_options_on_a_path(folders: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"timeline\(by=...\): no column\(s\) \['code'\]"):
        A.timeline(folders["store"], by="code")
    with pytest.raises(ConfigError, match=r"step_funnel\(by=...\): no column\(s\) \['x'\]"):
        A.step_funnel(folders["snapshot"], by="x")
    with pytest.raises(ConfigError, match="status must be one of"):
        A.drilldown(folders["store"], "EntryConflict", status="errors")
    with pytest.raises(
        ConfigError, match=r"since='2026-11-20' \(2026-11-20 00:00:00 UTC\) is after"
    ):
        A.filter_frames(folders["store"], since="2026-11-20", until="2026-11-19")
