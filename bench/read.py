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

    python -m bench.read --stages [--rounds 3] [--out DIR]

instead splits `pv.read_parquet` of the whole store into its stages, in fresh processes:
opening the Delta tables, the Parquet scan (`scan.scan_tables`), the order check
(`order.in_order`) and the conversion of each table to pandas; per stage the median wall,
user and system CPU seconds (system time here is mostly the first touch of new memory) and
the peak RSS at its end, with the Arrow size of each table.
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

    if reader == "stages":
        print(json.dumps(stages(store)))
        return
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


STAGES = ("open", "scan", "in_order", *(f"pandas {name}" for name in TABLES))


def stages(store: Path) -> dict[str, Any]:
    """`pv.read_parquet(store)` stage by stage: {stage: [wall, user, system, peak GB]} and
    the Arrow GB of each table."""
    from provlytics.order import in_order
    from provlytics.scan import scan_tables
    from provlytics.store.read import _datasets_at, _events_table
    from provlytics.tables import ProvisioningFrames

    def now() -> list[float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return [time.perf_counter(), usage.ru_utime, usage.ru_stime]

    marks = [now()]
    out: dict[str, Any] = {}

    def mark(stage: str) -> None:
        marks.append(now())
        out[stage] = [b - a for a, b in zip(marks[-2], marks[-1], strict=True)] + [peak_gb()]

    sources = _datasets_at(store, _events_table(store, None, None))
    mark("open")
    tables = scan_tables(sources)
    mark("scan")
    frames = ProvisioningFrames(in_order(tables))
    mark("in_order")
    for name in TABLES:
        getattr(frames, name)
        mark(f"pandas {name}")
    return {"stages": out, "arrow_gb": {n: t.nbytes / 1024**3 for n, t in tables.items()}}


def report_stages(runs: list[dict[str, Any]]) -> None:
    """Median wall, user, system seconds and peak GB per stage."""
    print(f"\n{'stage':28s} {'wall s':>7s} {'user s':>7s} {'sys s':>7s} {'peak GB':>8s}")
    for stage in STAGES:
        wall, user, system, peak = (
            statistics.median(r["stages"][stage][i] for r in runs) for i in range(4)
        )
        print(f"{stage:28s} {wall:7.2f} {user:7.2f} {system:7.2f} {peak:8.2f}")
    sizes = ", ".join(f"{n} {g:.3f}" for n, g in runs[0]["arrow_gb"].items())
    print(f"Arrow GB: {sizes}; total {sum(runs[0]['arrow_gb'].values()):.2f}")


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
    parser.add_argument("--stages", action="store_true", help="read_parquet stage by stage")
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
        if args.stages:
            call = ("bench.read", "--child", "stages", str(folder))
            report_stages([child_result(*call) for _ in range(args.rounds)])
        else:
            report(run(folder, args.rounds))
    finally:
        if args.out is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
