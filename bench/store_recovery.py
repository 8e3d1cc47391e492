"""Benchmark: what the recovery a writer runs when it takes the store's lock costs on a
store of many loads.

    python -m bench.store_recovery [--loads 50 200] [--records 1000] [--repeat 5]

Builds a store of N loads of the same `--records` synthetic Graph records (every load
replaces every event, so every table's log gains a commit a load and, within the 7-day
retention, every load's files stay on disk), then times, in `--repeat` rounds (medians):
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        inputs = Path(temp) / "in"
        write_pages(inputs, args.records, page_size=1000)
        store, built = Path(temp) / "store", 0
        for loads in sorted(args.loads):
            for _ in range(loads - built):
                pv.load_to_parquet(inputs, store, progress=False)
            built = loads
            _report(store, loads, args.repeat)


def _report(store: Path, loads: int, repeat: int) -> None:
    steady = _median(repeat, lambda: None, lambda: _locked(store, recover))
    copy = store.with_name("copy")

    def fresh() -> None:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store, copy)

    def zero() -> None:
        fresh()
        set_retention(copy, 0)

    vacuumed = _median(repeat, zero, lambda: _locked(copy, recover))

    def vacuumed_once() -> None:
        fresh()
        _full_vacuum(copy)

    before = _median(repeat, vacuumed_once, lambda: _locked(copy, _full_vacuum))
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


def _median(repeat: int, prepare: Callable[[], None], action: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        prepare()
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
