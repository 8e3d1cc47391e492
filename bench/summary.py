"""Benchmark: `pv.analysis.failure_summary` over a snapshot path of 10M events (DuckDB, out of
core) against the frames version at 1M events, in the same run.

    python -m bench.summary [--events 10000000] [--rounds 2] [--out DIR]

Builds the tables of 1M events once with `bench/analysis_data.py` (Arrow arrays, no JSON,
no normalizer), then writes `--events / 1M` copies of its `events` and `errors` tables with
new event and source ids (the first two characters replaced by the copy's number) as the
files of one plain snapshot (`manifest.json` of the current schema version; the other tables
are left out: `failure_summary` reads `errors` and counts `events` from file metadata). A
second snapshot holds the first copy only (1M events). Then, `--rounds` times, interleaved,
each call in a fresh process (its peak RSS, `VmHWM`, is its own; ~0.23 GB of it imports):

- `path 10M`: `failure_summary("<10M snapshot>")`;
- `path 1M`: `failure_summary("<1M snapshot>")`;
- `frames 1M`: `failure_summary(pv.read_parquet("<1M snapshot>"))` (the tables in memory).

Prints median seconds and peak GB, and the rows and events of each summary.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import child_result
from bench.read import peak_gb

MILLION = 1_000_000
RUNS = ("path 10M", "path 1M", "frames 1M")


def build(folder: Path, copies: int) -> None:
    """Snapshots `folder/big` (`copies` million events) and `folder/one` (1M)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from bench.analysis_data import build_frames
    from provlytics.schema import SCHEMA_VERSION

    frames = build_frames(MILLION)
    tables = {name: frames.table(name) for name in ("events", "errors")}
    for root, count in ((folder / "big", copies), (folder / "one", 1)):
        for name, table in tables.items():
            (root / name).mkdir(parents=True)
            for copy in range(count):
                part = table
                for column in ("event_id", "source_id"):
                    tail = pc.utf8_slice_codeunits(part[column], 2)
                    fresh = pc.binary_join_element_wise(f"{copy:02d}", tail, "")
                    part = part.set_column(part.schema.get_field_index(column), column, fresh)
                pq.write_table(part, root / name / f"part-{copy}.parquet", compression="zstd")
        (root / "manifest.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}))


def child(run: str, folder: Path) -> None:
    """One measured call in this process; prints its facts as JSON."""
    import provlytics as pv

    start = time.perf_counter()
    if run == "frames 1M":
        summary = pv.analysis.failure_summary(pv.read_parquet(folder / "one"))
    else:
        summary = pv.analysis.failure_summary(folder / ("big" if run == "path 10M" else "one"))
    seconds = time.perf_counter() - start
    peak = peak_gb()
    facts = {"seconds": seconds, "peak_gb": peak, "rows": len(summary)}
    print(json.dumps({**facts, "events": int(summary["events"].sum())}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10 * MILLION)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="keep the snapshots in this folder (reused)")
    parser.add_argument("--child", nargs=2, metavar=("RUN", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    folder = args.out or Path(tempfile.mkdtemp(prefix="provlytics-bench-"))
    try:
        if not (folder / "big").is_dir():
            start = time.perf_counter()
            build(folder, max(1, args.events // MILLION))
            print(f"snapshots written in {time.perf_counter() - start:.0f} s")
        results: dict[str, list[dict[str, Any]]] = {run: [] for run in RUNS}
        for _ in range(args.rounds):
            for run in RUNS:
                results[run].append(child_result("bench.summary", "--child", run, str(folder)))
        head = f"{'seconds':>8s} {'peak GB':>8s} {'rows':>5s} {'events':>10s}"
        print(f"\n{'failure_summary':16s} {head}")
        for run, got in results.items():
            seconds = statistics.median(r["seconds"] for r in got)
            peak = statistics.median(r["peak_gb"] for r in got)
            print(
                f"{run:16s} {seconds:8.2f} {peak:8.2f} {got[0]['rows']:5d} {got[0]['events']:10,}"
            )
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
