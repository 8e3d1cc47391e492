"""Benchmark: `pv.read_parquet` of a store of 1M events against the reader before it.

    python -m bench.read [--events 1000000] [--days 30] [--jobs 24] [--rounds 3] [--out DIR]

Builds the five tables of `--events` events with `bench/analysis_data.py` (Arrow arrays, no
JSON), writes them as a store (`frames.to_parquet(dir, store=True)`), then runs each reader
`--rounds` times, interleaved, each call in a fresh process so that its peak RSS
(`VmHWM`, the interpreter and imports included, ~0.23 GB) is its own:

- `read_parquet`: `pv.read_parquet(store)`, then every table as pandas (what a user gets);
- `previous`: the reader this one replaced, kept here: each Delta table at the events
  commit's versions `to_pyarrow_table()`, partition column dropped, `sort_tables`, pandas;
- `naive`: `pq.read_table(<table folder>).to_pandas()` per table (no order, no versions,
  numpy object strings);
- `read_parquet 3d failures`: `since="3d", filters=[("status", "==", "failure")]`, pandas.

Prints the median wall seconds (read, then pandas; imports are done before the clock
starts) and the median peak RSS of each. The target (issue 14) is 3 s and 1.5 GB for all
tables.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import child_result

READERS = ("read_parquet", "previous", "naive", "read_parquet 3d failures")
TABLES = ("events", "steps", "modified_properties", "errors", "job_status")


def read_new(store: Path) -> Any:
    import provlytics as pv

    return pv.read_parquet(store)


def read_scoped(store: Path) -> Any:
    import provlytics as pv

    return pv.read_parquet(store, since="3d", filters=[("status", "==", "failure")])


def read_previous(store: Path) -> Any:
    """The reader before issue 14 (provlytics.store.read_store as it was)."""
    from deltalake import DeltaTable

    from provlytics.schema import SCHEMAS
    from provlytics.store import OTHERS
    from provlytics.store.read import _commit_versions
    from provlytics.tables import ProvisioningFrames, sort_tables

    events = DeltaTable(str(store / "events"))
    versions = _commit_versions(store, events)
    tables = {"events": events.to_pyarrow_table()}
    for name in OTHERS:
        tables[name] = DeltaTable(str(store / name), version=versions[name]).to_pyarrow_table()
    tables = {n: t.select(SCHEMAS[n].names).cast(SCHEMAS[n]) for n, t in tables.items()}
    return ProvisioningFrames(sort_tables(tables))


def read_naive(store: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    return {name: pq.read_table(store / name) for name in TABLES}


def peak_gb() -> float:
    """This process' peak RSS in GB: `VmHWM` of /proc/self/status (Linux; unlike
    `ru_maxrss`, not inherited from the parent that started this process), else
    `ru_maxrss`."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def child(reader: str, store: Path) -> None:
    """Run one reader in this process and print its facts as JSON."""
    calls: dict[str, Callable[[Path], Any]] = {
        "read_parquet": read_new,
        "previous": read_previous,
        "naive": read_naive,
        "read_parquet 3d failures": read_scoped,
    }
    import deltalake  # noqa: F401  (imports are not timed: the same for every reader)
    import pyarrow.parquet  # noqa: F401

    import provlytics  # noqa: F401

    start = time.perf_counter()
    got = calls[reader](store)
    read = time.perf_counter() - start
    if isinstance(got, dict):
        frames = [table.to_pandas() for table in got.values()]
        rows = [len(f) for f in frames]
    else:
        rows = [len(getattr(got, name)) for name in TABLES]
    pandas = time.perf_counter() - start - read
    peak = peak_gb()
    print(json.dumps({"read": read, "pandas": pandas, "peak_gb": peak, "rows": rows}))


def run(store: Path, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """Every reader `rounds` times, interleaved, each in a new process."""
    results: dict[str, list[dict[str, Any]]] = {r: [] for r in READERS}
    for _ in range(rounds):
        for reader in READERS:
            results[reader].append(child_result("bench.read", "--child", reader, str(store)))
    return results


def report(results: dict[str, list[dict[str, Any]]]) -> None:
    """Median read, pandas and total seconds and peak GB of each reader."""
    print(f"\n{'reader':26s} {'read s':>7s} {'pandas s':>9s} {'total s':>8s} {'peak GB':>8s}  rows")
    for reader, runs in results.items():
        read = statistics.median(r["read"] for r in runs)
        pandas = statistics.median(r["pandas"] for r in runs)
        total = statistics.median(r["read"] + r["pandas"] for r in runs)
        peak = statistics.median(r["peak_gb"] for r in runs)
        rows = ",".join(f"{n:,}" for n in runs[0]["rows"])
        print(f"{reader:26s} {read:7.2f} {pandas:9.2f} {total:8.2f} {peak:8.2f}  {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="keep the store in this folder (reused)")
    parser.add_argument("--child", nargs=2, metavar=("READER", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    folder = args.out or Path(tempfile.mkdtemp(prefix="provlytics-bench-")) / "store"
    try:
        if not (folder / "events").is_dir():
            from bench.analysis_data import build_frames

            start = time.perf_counter()
            frames = build_frames(args.events, days=args.days, jobs=args.jobs)
            frames.to_parquet(folder, store=True)
            print(f"store of {args.events:,} events written in {time.perf_counter() - start:.0f} s")
            frames = None
        report(run(folder, args.rounds))
    finally:
        if args.out is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
