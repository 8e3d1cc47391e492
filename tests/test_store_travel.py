"""Time travel over the store's retention: every load within it reads back exactly, what a
later load replaced is kept until the retention passes, and retention 0 keeps only the load
before the latest (as before there was a retention)."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import payloads as p
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from test_store_writes import data_files, live_files, pages, record, same_tables

import provlytics as pv
from provlytics.schema import TABLE_NAMES
from provlytics.store import PARTITION, datasets, read_retention, set_retention
from provlytics.store.history import RETENTION

MAKES = (p.v1_failure_contoso, p.v1_success_aws, p.v1_failure_contoso, p.v1_success_aws)
DAY_MS = 24 * 3600 * 1000


def load_number(tmp_path: Path, store: Path, number: int) -> int:
    """Load 6 events, 4 of them loaded before (ids 2n..2n+5, in two days), each load with
    its own status and number of steps; returns the store version."""
    records = [
        record(n, day=15 + n % 2, make=MAKES[number % 4], steps=1 + number % 3)
        for n in range(2 * number, 2 * number + 6)
    ]
    inputs = pages(tmp_path / f"in-{number}", records)
    return pv.load_to_parquet(inputs, store, progress=False)["store_version"]


def all_files(store: Path) -> dict[str, set[str]]:
    return {name: data_files(store / name) for name in TABLE_NAMES}


def test_every_load_within_the_retention_reads_back_exactly(tmp_path):
    store = tmp_path / "store"
    loads = []
    for number in range(4):
        version = load_number(tmp_path, store, number)
        loads.append((version, pv.read_parquet(store)))
    assert [frames.counts()["events"] for _v, frames in loads] == [6, 8, 10, 12]
    assert [len(frames.steps) for _v, frames in loads] == [6, 14, 24, 18]
    assert [v for v, _frames in loads] == [0, 1, 2, 3]  # no maintenance commits between
    for version, frames in loads:
        same_tables(pv.read_parquet(store, version=version), frames)
        assert pv.read_parquet(store, version=version).counts() == frames.counts()


def test_retention_0_keeps_only_the_load_before_the_latest(tmp_path):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    set_retention(store, 0)  # store version 1
    versions = [load_number(tmp_path, store, number) for number in range(1, 4)]
    assert len(pv.read_parquet(store, version=versions[2]).events) == 12
    assert len(pv.read_parquet(store, version=versions[1]).events) == 10
    for version in (0, 1, versions[0]):  # each load's vacuum commits: the numbers skip
        with pytest.raises(pv.InputError, match="replaced more than 0 seconds ago"):
            pv.read_parquet(store, version=version)
    for name in TABLE_NAMES:  # on disk: the files of the latest version and the one before
        table = store / name
        before = DeltaTable(str(table), version=_named(store, name, versions[1]))
        assert data_files(table) == live_files(table) | _paths(before), name


def test_what_a_load_replaced_is_vacuumed_once_the_retention_passed(tmp_path):
    store = tmp_path / "store"
    versions = [load_number(tmp_path, store, number) for number in range(3)]
    _age_removals(store, version=1, days=8)  # load 1 replaced load 0's files 8 days ago
    versions.append(load_number(tmp_path, store, 3))
    with pytest.raises(pv.InputError, match="replaced more than 7 days ago") as error:
        pv.read_parquet(store, version=0)
    assert "store version 0 is no longer kept" in str(error.value)
    with pytest.raises(pv.InputError, match="replaced more than 7 days ago") as error:
        datasets(store, version=0)  # the files are gone: said before DuckDB would read them
    assert "store version 0 is no longer kept" in str(error.value)
    assert datasets(store, version=1)["events"].count_rows() == 8
    kept = [pv.read_parquet(store, version=v).counts()["events"] for v in versions[1:]]
    assert kept == [8, 10, 12]


def test_set_retention_is_delta_own_setting_and_checks_its_argument(tmp_path):
    store = tmp_path / "store"
    with pytest.raises(pv.InputError, match="not a provlytics store"):
        set_retention(store, 3)
    load_number(tmp_path, store, 0)
    set_retention(store, 30)
    properties = DeltaTable(str(store / "events")).metadata().configuration
    assert properties["delta.deletedFileRetentionDuration"] == "interval 30 days"
    set_retention(store, 0.5)
    properties = DeltaTable(str(store / "events")).metadata().configuration
    assert properties["delta.deletedFileRetentionDuration"] == "interval 12 hours"
    for bad in (-1, "7", True, float("nan")):
        with pytest.raises(pv.ConfigError, match="number of days"):
            set_retention(store, bad)
    assert load_number(tmp_path, store, 1) == 3  # the two settings are versions 1 and 2
    assert len(pv.read_parquet(store, version=2).events) == 6  # and hold the load before
    snapshot = pv.read_parquet(store).to_parquet(tmp_path / "snapshot")
    with pytest.raises(pv.InputError, match=r"a snapshot \(plain Parquet, no versions\)"):
        set_retention(snapshot, 30)


def _retentions(store: Path) -> dict[str, str | None]:
    """Each table's own `delta.deletedFileRetentionDuration`, as any Delta engine reads it."""
    return {
        name: DeltaTable(str(store / name)).metadata().configuration.get(RETENTION)
        for name in TABLE_NAMES
    }


def _operations(table: Path) -> list[str]:
    return [entry["operation"] for entry in DeltaTable(str(table)).history()]


def test_every_table_carries_the_retention_so_any_engine_vacuum_keeps_as_much(tmp_path, caplog):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    assert _retentions(store) == dict.fromkeys(TABLE_NAMES, "interval 7 days")  # at creation
    set_retention(store, 30)
    assert _retentions(store) == dict.fromkeys(TABLE_NAMES, "interval 30 days")
    assert read_retention(store) == timedelta(days=30)
    with caplog.at_level(logging.WARNING, logger="provlytics.store"):
        assert load_number(tmp_path, store, 1) == 2
    assert "restored" not in caplog.text  # the property commits are no unfinished load
    assert _retentions(store) == dict.fromkeys(TABLE_NAMES, "interval 30 days")
    for name in TABLE_NAMES:
        assert "RESTORE" not in _operations(store / name), name
    assert [pv.read_parquet(store, version=v).counts()["events"] for v in (0, 1, 2)] == [6, 6, 8]


def test_a_store_whose_events_alone_has_the_retention_gives_it_to_every_table(tmp_path):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    DeltaTable(str(store / "events")).alter.set_table_properties(
        {RETENTION: "interval 3 days"}  # what set_retention wrote before every table had it
    )
    load_number(tmp_path, store, 1)
    assert _retentions(store) == dict.fromkeys(TABLE_NAMES, "interval 3 days")
    assert pv.read_parquet(store).counts()["events"] == 8


def test_a_load_that_died_after_its_children_is_undone_past_the_retention_commits(tmp_path, caplog):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    steps = pv.read_parquet(store).counts()["steps"]
    set_retention(store, 30)  # a commit of each table that changes no file
    table = DeltaTable(str(store / "steps"))  # then a load's steps commit; it died after it
    write_deltalake(table, table.to_pyarrow_table(), mode="append", partition_by=[PARTITION])
    with caplog.at_level(logging.WARNING, logger="provlytics.store"):
        load_number(tmp_path, store, 0)  # the same events again: every stored row replaced
    assert "steps restored to version 0 (an unfinished load)" in caplog.text
    assert pv.read_parquet(store).counts()["steps"] == steps  # not the dead load's copies
    assert _retentions(store) == dict.fromkeys(TABLE_NAMES, "interval 30 days")


def test_a_retention_that_is_no_interval_is_an_error_naming_the_property(tmp_path):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    DeltaTable(str(store / "events")).alter.set_table_properties(
        {"delta.deletedFileRetentionDuration": "a week"}
    )
    with pytest.raises(pv.InputError, match="deletedFileRetentionDuration is 'a week'"):
        load_number(tmp_path, store, 1)
    assert pv.read_parquet(store).counts()["events"] == 6


def test_files_no_version_names_are_removed_and_every_version_still_reads(tmp_path):
    store = tmp_path / "store"
    for number in range(2):
        load_number(tmp_path, store, number)
    before = all_files(store)
    stray = store / "steps" / "activity_date=2026-07-15" / "part-0-dead-000.zstd.parquet"
    stray.write_bytes(b"PAR1 a file of a load that died")
    load_number(tmp_path, store, 2)
    assert not stray.exists()
    after = all_files(store)
    assert all(before[name] <= after[name] for name in TABLE_NAMES)  # replaced files kept
    assert [pv.read_parquet(store, version=v).counts()["events"] for v in (0, 1, 2)] == [6, 8, 10]


def _named(store: Path, name: str, version: int) -> int:
    """The version of table `name` that store version `version` names."""
    if name == "events":
        return version
    (entry,) = [action for action in _log(store / "events", version) if "commitInfo" in action]
    return json.loads(entry["commitInfo"]["provlytics.versions"])[name]


def _log(table: Path, version: int) -> list[dict]:
    text = (table / "_delta_log" / f"{version:020d}.json").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _paths(table: DeltaTable) -> set[str]:
    return set(pa.table(table.get_add_actions(flatten=True))["path"].to_pylist())


def _age_removals(store: Path, *, version: int, days: float) -> None:
    """Make the remove actions of the commits of store version `version` `days` old, as if
    that load ran then (the tables' own versions, from the events commit)."""
    stamp = int(time.time() * 1000 - days * DAY_MS)
    for name in TABLE_NAMES:
        table = store / name
        own = _named(store, name, version)
        path = table / "_delta_log" / f"{own:020d}.json"
        actions = _log(table, own)
        for action in actions:
            if "remove" in action:
                action["remove"]["deletionTimestamp"] = stamp
        path.write_text("".join(json.dumps(a) + "\n" for a in actions), encoding="utf-8")


def test_the_recovery_reads_the_files_a_checkpoint_names(tmp_path):
    store = tmp_path / "store"
    load_number(tmp_path, store, 0)
    other_day = pages(tmp_path / "other", [record(n, day=20) for n in range(100, 104)])
    pv.load_to_parquet(other_day, store, progress=False)  # the first load's files stay live
    for name in TABLE_NAMES:  # as delta-rs writes every 100 commits
        table = DeltaTable(str(store / name))
        table.create_checkpoint()
        for commit in (store / name / "_delta_log").glob("*.json"):
            if int(commit.stem) < table.version():  # as Delta's log cleanup does, once the
                commit.unlink()  # commits are older than its log retention (30 days)
    before = all_files(store)
    load_number(tmp_path, store, 2)
    after = all_files(store)
    assert all(before[name] <= after[name] for name in TABLE_NAMES)
    assert pv.read_parquet(store, version=1).counts()["events"] == 10
    assert pv.read_parquet(store).counts()["events"] == 14
