"""The store (Delta tables) from the outside: through the CLI in real processes, killed at
random moments, run concurrently, on a full disk, and read by other engines."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import payloads as p
import pytest
from deltalake import DeltaTable
from filelock import FileLock

import provlytics as pv
from provlytics.schema import TABLE_NAMES
from provlytics.store import StoreWriter

CLI = "from provlytics.cli import main; main()"
EVENTS = 3000
FILES = 3
# children of each event version: (steps, modified_properties, errors)
CHILDREN = {"failure": (3, 6, 1), "success": (2, 5, 0)}


def cli(*args: str, **options: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    _out, err = process.communicate(timeout=120)
    return process.returncode, err


def write_inputs(folder: Path, make: object, ids: range, *, files: int = FILES) -> Path:
    """`files` Graph pages of clones of one record, ids `ev-<n>`, over three days."""
    chunks = [list(ids)[i::files] for i in range(files)]
    for number, chunk in enumerate(chunks):
        records = []
        for n in chunk:
            record = make()
            record["id"] = f"ev-{n}"
            record["activityDateTime"] = f"2026-07-{15 + n % 3}T10:{n % 60:02d}:00Z"
            records.append(record)
        p.write_json(folder / f"page-{number}.json", p.graph_page(*records))
    return folder


def check_consistent(store: Path, *, version: int | None = None) -> str:
    """Every event once, all of one version, each with exactly its version's children;
    returns the version's status (of the latest store version, or `version`)."""
    frames = pv.read_parquet(store, version=version)
    events = frames.events
    assert len(events) == EVENTS and events["event_id"].is_unique
    statuses = set(events["status"])
    assert len(statuses) == 1, statuses  # a load is all or nothing
    (status,) = statuses
    for table, expected in zip(
        ("steps", "modified_properties", "errors"), CHILDREN[status], strict=True
    ):
        counts = getattr(frames, table).groupby("event_id").size()
        if expected:
            assert len(counts) == EVENTS and set(counts) == {expected}, table
        else:
            assert len(counts) == 0, table
    return status


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("store")
    old = write_inputs(root / "old", p.v1_failure_contoso, range(EVENTS))
    new = write_inputs(root / "new", p.v1_success_aws, range(EVENTS))
    base = root / "base"
    pv.load_to_parquet(old, base, progress=False)
    reference = root / "reference"
    shutil.copytree(base, reference)
    began = time.monotonic()
    code, err = finished(cli("load", str(new), "--out", str(reference)))
    seconds = time.monotonic() - began
    assert code == 0, err  # after a merge: no abort at interpreter exit (exit 134)
    return {"root": root, "old": old, "new": new, "base": base, "reference": reference,
            "seconds": seconds}  # fmt: skip


def test_the_reference_load_replaces_every_event_with_its_children(world):
    assert check_consistent(world["base"]) == "failure"
    assert check_consistent(world["reference"]) == "success"
    assert pv.read_parquet(world["reference"]).counts() == {
        "events": 3000, "steps": 6000, "modified_properties": 15000, "errors": 0,
        "job_status": 0,
    }  # fmt: skip


def test_time_travel_shows_the_store_before_the_last_load(world):
    manifest = pv.parquet.read_manifest(world["reference"])
    before = pv.read_parquet(world["reference"], version=manifest["store_version"] - 1)
    assert set(before.events["status"]) == {"failure"}
    assert len(before.errors) == EVENTS


def test_kill_9_at_any_moment_leaves_a_consistent_store_and_a_rerun_converges(world):
    rng = random.Random(13)
    expected = pv.read_parquet(world["reference"]).counts()
    for trial in range(20):
        store = world["root"] / f"killed-{trial}"
        shutil.copytree(world["base"], store)
        process = cli("load", str(world["new"]), "--out", str(store))
        time.sleep(rng.uniform(0, 1.25 * world["seconds"]))  # some after it ended
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        check_consistent(store)
        if trial % 4 == 0:  # the re-run repairs what the dead one left, then loads
            pv.load_to_parquet(world["new"], store, progress=False)
            assert check_consistent(store) == "success"
            assert pv.read_parquet(store).counts() == expected
            assert not list(store.glob(".staging-*"))
            assert check_consistent(store, version=0) == "failure"  # the load before
        shutil.rmtree(store)


def test_kill_9_inside_the_commit_leaves_the_previous_version_and_is_repaired(world, caplog):
    """Killed once the children's commits began (a new `_delta_log` entry of `steps`) and
    before the events commit: the store reads as before; the next load restores the children
    and converges."""
    rng = random.Random(7)
    expected = pv.read_parquet(world["reference"]).counts()
    for trial in range(5):
        store = world["root"] / f"commit-killed-{trial}"
        shutil.copytree(world["base"], store)
        log = store / "steps" / "_delta_log"
        entries = len(list(log.glob("*.json")))
        process = cli("load", str(world["new"]), "--out", str(store))
        while len(list(log.glob("*.json"))) == entries and process.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        check_consistent(store)
        died = DeltaTable(str(store / "events")).version() == 0  # before the events commit
        dead = set(files_of(store)) - set(files_of(world["base"]))
        with caplog.at_level(logging.WARNING, logger="provlytics.store"):
            pv.load_to_parquet(world["new"], store, progress=False)
        assert check_consistent(store) == "success"
        assert pv.read_parquet(store).counts() == expected
        if died:  # the files of the dead load, its children's commits too, are gone
            assert dead and not dead & set(files_of(store))
        shutil.rmtree(store)
    restored = [r for r in caplog.records if "restored to version" in r.getMessage()]
    assert restored  # at least one kill fell between the children's and the events' commits


def test_a_load_killed_while_writing_leaves_files_the_next_writer_removes_alone(world):
    """Killed once its first file is written, before any commit: the next writer deletes
    exactly that load's files, and every earlier version still reads."""
    for _attempt in range(5):  # until a kill lands before the first commit
        store = world["root"] / "killed-writing"
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(world["reference"], store)
        before = files_of(store)
        logs = files_of(store, "_delta_log/*.json")
        process = cli("load", str(world["old"]), "--out", str(store))
        while files_of(store) == before and process.poll() is None:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        if files_of(store, "_delta_log/*.json") == logs:
            break
    else:
        pytest.fail("no kill landed before the load's first commit")
    dead = set(files_of(store)) - set(before)
    assert len({tuple(Path(path).name.split("-")[1:3]) for path in dead}) == 1  # one load's

    StoreWriter(store).abort()  # takes the lock: recovery

    assert files_of(store) == before  # the dead load's files gone, every other file kept
    assert check_consistent(store, version=0) == "failure"
    assert check_consistent(store, version=1) == "success"
    assert check_consistent(store) == "success"


def files_of(store: Path, pattern: str = "*/**/*.parquet") -> list[str]:
    """The files of the store's tables (data files, or `pattern`), relative, sorted."""
    return sorted(
        str(path.relative_to(store))
        for name in TABLE_NAMES
        for path in (store / name).glob(pattern)
        if "_delta_log" not in path.parts or pattern.startswith("_delta_log")
    )


@pytest.mark.parametrize("writers", [2, 3])
def test_concurrent_loads_of_disjoint_inputs_keep_every_event_once(world, writers):
    inputs = [
        write_inputs(world["root"] / f"part-{writers}-{w}", p.v1_failure_contoso,
                     range(w * 1000, (w + 1) * 1000), files=1)
        for w in range(writers)
    ]  # fmt: skip
    store = world["root"] / f"concurrent-{writers}"
    processes = [cli("load", str(folder), "--out", str(store)) for folder in inputs]
    results = [finished(process) for process in processes]
    assert [code for code, _err in results] == [0] * writers, results
    frames = pv.read_parquet(store)
    assert len(frames.events) == 1000 * writers and frames.events["event_id"].is_unique
    assert len(frames.steps) == 3000 * writers and len(frames.errors) == 1000 * writers


def test_a_writer_that_cannot_get_the_lock_says_so_and_changes_nothing(world, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(world["base"], store)
    with FileLock(str(store / ".provlytics.lock")):
        code, err = finished(
            cli("load", str(world["new"]), "--out", str(store), "--lock-timeout", "0.5")
        )
    assert code == 1
    assert "another provlytics process kept the store locked for 0 s" in err
    assert "waiting up to 0 s" in err
    assert check_consistent(store) == "failure"


def test_other_engines_read_the_same_counts_through_the_delta_log(world):
    duckdb = pytest.importorskip("duckdb")
    counts = pv.read_parquet(world["reference"]).counts()
    for name in TABLE_NAMES:
        dataset = DeltaTable(str(world["reference"] / name)).to_pyarrow_dataset()
        assert dataset.count_rows() == counts[name], name
        ((rows,),) = duckdb.sql("SELECT count(*) FROM dataset").fetchall()
        assert rows == counts[name], name


def test_a_full_disk_gives_a_clear_error_and_leaves_the_store_as_it_was(world, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)])
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("mount -t tmpfs failed as root under CI")
        pytest.skip("mount -t tmpfs failed (no permission in this container)")
    try:
        store = mount / "store"
        small = write_inputs(tmp_path / "small-in", p.v1_failure_contoso, range(100), files=1)
        pv.load_to_parquet(small, store, progress=False)
        before = pv.read_parquet(store).counts()
        free = os.statvfs(mount)
        # the load's Parquet (zstd) is small: leave it less room than its files need
        (mount / "ballast").write_bytes(b"x" * (free.f_bavail * free.f_frsize - 48 * 1024))
        with pytest.raises(pv.ProvlyticsError, match=f"{store}: the store could not be written"):
            pv.load_to_parquet(world["new"], store, progress=False)
        assert pv.read_parquet(store).counts() == before
        assert not list(store.glob(".staging-*"))
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_time_travel_says_what_versions_there_are(tmp_path):
    store = tmp_path / "store"
    for _ in range(3):  # within the retention (7 days): nothing vacuumed, no vacuum commit
        pv.load_to_parquet("data/samples/graph-v1", store, progress=False)
    latest = DeltaTable(str(store / "events")).version()
    assert latest == 2
    assert (store / ".provlytics.lock").stat().st_mode & 0o077 == 0
    for version in range(latest + 1):
        assert len(pv.read_parquet(store, version=version).events) == 1050
    for bad in (-1, latest + 1):
        with pytest.raises(pv.InputError, match=f"versions run from 0 to {latest}"):
            pv.read_parquet(store, version=bad)
    with pytest.raises(pv.InputError, match="the store began at"):
        pv.read_parquet(store, as_of="2020-01-01")
    assert len(pv.read_parquet(store, as_of="2999-01-01").events) == 1050
    with pytest.raises(pv.ConfigError, match="not both"):
        pv.read_parquet(store, version=1, as_of="2999-01-01")
    with pytest.raises(pv.ConfigError, match="not a date"):
        pv.read_parquet(store, as_of="last tuesday")
    for bad in ("1", 1.0):
        with pytest.raises(pv.ConfigError, match=f"version={bad!r}: give a whole number"):
            pv.read_parquet(store, version=bad)


def test_as_of_reads_a_time_as_since_does(tmp_path):
    """Day and month either way round are refused; a duration is that long before now."""
    store = tmp_path / "store"
    pv.load_to_parquet("data/samples/graph-v1", store, progress=False)
    for ambiguous, read in (
        ("01/12/2026 09:24:09", "2026-12-01 or 2026-01-12"),
        ("05/11/2026", "2026-11-05 or 2026-05-11"),
    ):
        with pytest.raises(pv.ConfigError, match=f"as_of='{ambiguous}' could be {read}"):
            pv.read_parquet(store, as_of=ambiguous)
    with pytest.raises(pv.InputError, match="no store version as of") as error:
        pv.read_parquet(store, as_of="1d")  # the store began after that
    day_before = datetime.now(UTC) - timedelta(days=1)
    assert f"as of {day_before:%Y-%m-%d} " in str(error.value)
    assert len(pv.read_parquet(store, as_of="0s").events) == 1050
