"""What a load writes into the store: the last copy of an event wins with its own children
(within a page, across pages, against what is stored), only the files that hold replaced
events are rewritten, and nothing of a failed load stays on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import payloads as p
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

import provlytics as pv
from provlytics.schema import TABLE_NAMES
from provlytics.store import commit as store_commit
from provlytics.store import files as store_files
from provlytics.store import pages as store_pages


def record(n: int, *, day: int, make=p.v1_failure_contoso, steps: int | None = None) -> dict:
    """A clone of one example record with id `ev-<n>` on 2026-07-<day>."""
    made = make()
    made["id"] = f"ev-{n}"
    made["activityDateTime"] = f"2026-07-{day:02d}T10:{n % 60:02d}:00Z"
    if steps is not None:
        made["provisioningSteps"] = made["provisioningSteps"][:steps]
    return made


def pages(folder: Path, *pages_of_records: list[dict]) -> Path:
    for number, records in enumerate(pages_of_records):
        p.write_json(folder / f"page-{number}.json", p.graph_page(*records))
    return folder


def same_tables(left: pv.ProvisioningFrames, right: pv.ProvisioningFrames) -> None:
    for name in TABLE_NAMES:
        assert left.table(name).equals(right.table(name)), name


def data_files(table: Path) -> set[str]:
    return {str(f.relative_to(table)) for f in table.rglob("*.parquet")}


def live_files(table: Path) -> set[str]:
    """The files the table's current version references (its Delta log)."""
    return set(pa.table(DeltaTable(str(table)).get_add_actions(flatten=True))["path"].to_pylist())


def test_a_later_page_replaces_an_event_with_its_own_children(tmp_path):
    first = [record(n, day=15) for n in range(4)]
    later = [record(1, day=15, make=p.v1_success_aws, steps=1), record(9, day=16)]
    inputs = pages(tmp_path / "in", first, later)

    manifest = pv.load_to_parquet(inputs, tmp_path / "store", progress=False)

    stored = pv.read_parquet(tmp_path / "store")
    same_tables(stored, pv.load(inputs))
    events = stored.table("events").select(["event_id", "status"]).to_pylist()
    assert sorted(events, key=lambda e: e["event_id"]) == [
        {"event_id": "ev-0", "status": "failure"},
        {"event_id": "ev-1", "status": "success"},
        {"event_id": "ev-2", "status": "failure"},
        {"event_id": "ev-3", "status": "failure"},
        {"event_id": "ev-9", "status": "failure"},
    ]
    steps = stored.table("steps")
    assert steps.filter(pc.equal(steps["event_id"], "ev-1")).num_rows == 1
    assert sorted(stored.table("errors")["event_id"].to_pylist()) == [
        "ev-0", "ev-2", "ev-3", "ev-9",
    ]  # fmt: skip
    assert manifest["row_counts"]["events"] == 5
    for name in TABLE_NAMES:  # the copy a later page replaced is in no file at all
        table = tmp_path / "store" / name
        assert data_files(table) == live_files(table), name


def test_an_event_repeated_within_a_page_keeps_its_last_copy(tmp_path):
    inputs = pages(
        tmp_path / "in",
        [record(1, day=15), record(2, day=15), record(1, day=15, make=p.v1_success_aws)],
    )
    pv.load_to_parquet(inputs, tmp_path / "store", progress=False)
    stored = pv.read_parquet(tmp_path / "store")
    same_tables(stored, pv.load(inputs))
    assert stored.counts()["events"] == 2
    assert stored.table("errors")["event_id"].to_pylist() == ["ev-2"]


def test_loading_into_a_store_rewrites_only_the_files_of_replaced_events(tmp_path):
    store = tmp_path / "store"
    old = pages(tmp_path / "old", [record(n, day=15 + n % 2) for n in range(6)])
    pv.load_to_parquet(old, store, progress=False)
    files_before = {name: data_files(store / name) for name in ("events", "steps")}
    day_16 = {f for f in files_before["events"] if "2026-07-16" in f}

    new = pages(tmp_path / "new", [record(2, day=15, make=p.v1_success_aws), record(7, day=17)])
    pv.load_to_parquet(new, store, progress=False)

    stored = pv.read_parquet(store)
    same_tables(stored, pv.load([old, new]))
    statuses = dict(
        zip(*stored.table("events").select(["event_id", "status"]).columns, strict=True)
    )
    assert {k.as_py(): v.as_py() for k, v in statuses.items()} == {
        "ev-0": "failure", "ev-1": "failure", "ev-2": "success", "ev-3": "failure",
        "ev-4": "failure", "ev-5": "failure", "ev-7": "failure",
    }  # fmt: skip
    assert stored.counts()["errors"] == 6  # ev-2's error row went with its old copy
    assert day_16 <= live_files(store / "events")  # a day the load did not write: untouched


def test_the_delta_log_carries_each_files_statistics(tmp_path):
    inputs = pages(tmp_path / "in", [record(n, day=15 + n % 3) for n in range(9)])
    pv.load_to_parquet(inputs, tmp_path / "store", progress=False)
    actions = pa.table(
        DeltaTable(str(tmp_path / "store" / "events")).get_add_actions(flatten=True)
    ).sort_by("partition.activity_date")
    assert actions["num_records"].to_pylist() == [3, 3, 3]
    assert actions["partition.activity_date"].to_pylist() == [
        "2026-07-15", "2026-07-16", "2026-07-17",
    ]  # fmt: skip
    assert [t.isoformat() for t in actions["min.activity_time"].to_pylist()] == [
        "2026-07-15T10:00:00+00:00", "2026-07-16T10:01:00+00:00", "2026-07-17T10:02:00+00:00",
    ]  # fmt: skip
    assert [t.isoformat() for t in actions["max.activity_time"].to_pylist()] == [
        "2026-07-15T10:06:00+00:00", "2026-07-16T10:07:00+00:00", "2026-07-17T10:08:00+00:00",
    ]  # fmt: skip
    assert actions["min.event_id"].to_pylist() == ["ev-0", "ev-1", "ev-2"]
    assert actions["null_count.error_code"].to_pylist() == [0, 0, 0]


def test_small_row_groups_and_many_files_give_the_same_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(store_files, "ROW_GROUP_ROWS", 2)
    monkeypatch.setattr(store_files, "FILE_ROWS", 5)
    records = [record(n, day=15 + n % 2) for n in range(12)]
    inputs = pages(tmp_path / "in", records[:4], records[4:], [record(3, day=16)])
    pv.load_to_parquet(inputs, tmp_path / "store", progress=False)
    same_tables(pv.read_parquet(tmp_path / "store"), pv.load(inputs))
    assert len(data_files(tmp_path / "store" / "steps")) > 2


def test_a_failed_load_leaves_no_file_behind(tmp_path):
    store = tmp_path / "store"
    pv.load_to_parquet(pages(tmp_path / "old", [record(1, day=15)]), store, progress=False)
    before = {name: data_files(store / name) for name in TABLE_NAMES}
    inputs = pages(tmp_path / "new", [record(n, day=16) for n in range(2, 40)])
    (inputs / "zz-broken.json").write_text('{"value": [{"id": ', encoding="utf-8")
    with pytest.raises(pv.InputError):
        pv.load_to_parquet(inputs, store, progress=False)
    assert {name: data_files(store / name) for name in TABLE_NAMES} == before
    assert pv.read_parquet(store).counts()["events"] == 1


def test_ids_whose_hashes_collide_are_compared_as_ids(tmp_path, monkeypatch):
    def colliding(ids):
        return np.zeros(len(ids), np.int64)

    monkeypatch.setattr(store_pages, "id_hashes", colliding)
    monkeypatch.setattr(store_commit, "id_hashes", colliding)
    unique = pages(tmp_path / "unique", [record(n, day=15) for n in range(3)], [record(5, day=15)])
    pv.load_to_parquet(unique, tmp_path / "a", progress=False)
    same_tables(pv.read_parquet(tmp_path / "a"), pv.load(unique))
    assert pv.read_parquet(tmp_path / "a").counts()["events"] == 4
    repeated = pages(
        tmp_path / "repeated", [record(1, day=15), record(2, day=15)],
        [record(2, day=15, make=p.v1_success_aws, steps=1)],
    )  # fmt: skip
    pv.load_to_parquet(repeated, tmp_path / "b", progress=False)
    same_tables(pv.read_parquet(tmp_path / "b"), pv.load(repeated))
    assert pv.read_parquet(tmp_path / "b").table("errors")["event_id"].to_pylist() == ["ev-1"]
