"""Benchmark: what the recovery a writer runs when it takes the store's lock costs on a
store of many loads.

    python -m bench.store_recovery [--loads 50 200] [--records 1000] [--repeat 5] [--store DIR]

Builds a store of N loads of the same `--records` synthetic Graph records (every load
replaces every event, so every table's log gains a commit a load and, within the 7-day
retention, every load's files stay on disk; `--store`: kept there and reused), then times,
in `--repeat` interleaved rounds (medians):
- `recover` as a load runs it (nothing dead, nothing expired: the steady state);
- `recover` after `set_retention(store, 0)` on a fresh copy (every replaced file vacuumed);
- the recovery before the retention: every table vacuumed with retention 0, full (Delta's
  vacuum of every file the current version does not reference), on a copy so vacuumed
  once already (its steady state: the same log, nothing left to delete).
Prints milliseconds per recovery, the commits in the events log and the data files.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from deltalake import DeltaTable
from filelock import FileLock

import provlytics as pv
from bench.normalize import write_pages
from provlytics.schema import TABLE_NAMES
from provlytics.store import LOCK, recover, set_retention


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, help="build the store here and keep it (reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        inputs = Path(temp) / "in"
        write_pages(inputs, args.records, page_size=1000)
        store = args.store or Path(temp) / "store"
        built = len(list((store / "events" / "_delta_log").glob("*.json")))
        for loads in sorted(args.loads):
            for _ in range(loads - built):
                pv.load_to_parquet(inputs, store, progress=False)
            built = max(built, loads)
            _report(store, Path(temp) / "copy", built, args.repeat)


def _report(store: Path, copy: Path, loads: int, repeat: int) -> None:
    """Time the three recoveries in interleaved rounds (a busy machine slows them alike)."""

    def fresh() -> None:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store, copy)

    def zero() -> None:
        fresh()
        set_retention(copy, 0)

    def vacuumed_once() -> None:
        fresh()
        _full_vacuum(copy)

    runs: dict[str, list[float]] = {"steady": [], "zero": [], "before": []}
    for _ in range(repeat):
        runs["steady"].append(_timed(lambda: None, lambda: _locked(store, recover)))
        runs["zero"].append(_timed(zero, lambda: _locked(copy, recover)))
        runs["before"].append(_timed(vacuumed_once, lambda: _locked(copy, _full_vacuum)))
    steady, vacuumed, before = (statistics.median(runs[k]) for k in ("steady", "zero", "before"))
    commits = len(list((store / "events" / "_delta_log").glob("*.json")))
    files = sum(1 for name in TABLE_NAMES for _ in (store / name).rglob("*.parquet"))
    print(
        f"{loads} loads ({commits} events commits, {files} data files): recover "
        f"{steady:.1f} ms; after set_retention(0) {vacuumed:.1f} ms; before (vacuum "
        f"retention 0, full) {before:.1f} ms"
    )


def _locked(root: Path, action: Callable[[Path], None]) -> None:
    with FileLock(str(root / LOCK)):
        action(root)


def _full_vacuum(root: Path) -> None:
    for name in TABLE_NAMES:
        DeltaTable(str(root / name)).vacuum(
            retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True
        )


def _timed(prepare: Callable[[], None], action: Callable[[], None]) -> float:
    prepare()
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


if __name__ == "__main__":
    main()
