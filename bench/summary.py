"""Benchmark: analysis helpers over a snapshot path of 10M events (out of core) against the
frames version at 1M events, in the same run.

    python -m bench.summary [--events 10000000] [--rounds 2] [--helpers H ...] [--out DIR]

Builds the tables of 1M events once with `bench/analysis_data.py` (Arrow arrays, no JSON,
no normalizer), then writes `--events / 1M` copies of its `events`, `errors` and
`modified_properties` tables with new event and source ids (the first two characters
replaced by the copy's number) as the files of one plain snapshot (`manifest.json` of the
current schema version; steps and job_status are left out: no helper measured here reads
them). A second snapshot holds the first copy only (1M events). Then, `--rounds` times,
interleaved, each call in a fresh process (its peak RSS, `VmHWM`, is its own; ~0.23 GB of it
imports), for each helper:

- `path 10M`: `helper("<10M snapshot>")`;
- `path 1M`: `helper("<1M snapshot>")`;
- `frames 1M`: `helper(pv.read_parquet("<1M snapshot>"))` (the tables in memory).

Helpers (`--helpers`, default all): `failure_summary` (DuckDB), `drilldown` of
EntryConflict (its family is 1/4 of the failures: 3.75% of the events) and `timeline`
(1h bins by error code), the last two through `PathTables` (only the columns and rows they
ask for). Prints median seconds and peak GB, and the rows of each result.
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
HELPERS = ("failure_summary", "drilldown", "timeline")
TABLES = ("events", "errors", "modified_properties")


def build(folder: Path, copies: int) -> None:
    """Snapshots `folder/big` (`copies` million events) and `folder/one` (1M)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from bench.analysis_data import build_frames
    from provlytics.schema import SCHEMA_VERSION

    frames = build_frames(MILLION)
    tables = {name: frames.table(name) for name in TABLES}
    for root, count in ((folder / "big", copies), (folder / "one", 1)):
        for name, table in tables.items():
            (root / name).mkdir(parents=True)
            for copy in range(count):
                part = table
                for column in [c for c in ("event_id", "source_id") if c in part.column_names]:
                    tail = pc.utf8_slice_codeunits(part[column], 2)
                    fresh = pc.binary_join_element_wise(f"{copy:02d}", tail, "")
                    part = part.set_column(part.schema.get_field_index(column), column, fresh)
                pq.write_table(part, root / name / f"part-{copy}.parquet", compression="zstd")
        (root / "manifest.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}))


def call(helper: str, data: Any) -> Any:
    """One helper, as the benchmark calls it."""
    import provlytics as pv

    if helper == "drilldown":
        return pv.analysis.drilldown(data, "EntryConflict")
    if helper == "timeline":
        return pv.analysis.timeline(data, freq="1h")
    return pv.analysis.failure_summary(data)


def child(helper: str, run: str, folder: Path) -> None:
    """One measured call in this process; prints its facts as JSON."""
    import provlytics as pv

    start = time.perf_counter()
    if run == "frames 1M":
        result = call(helper, pv.read_parquet(folder / "one"))
    else:
        result = call(helper, folder / ("big" if run == "path 10M" else "one"))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_gb": peak_gb(), "rows": len(result)}))


def measure(folder: Path, helpers: list[str], rounds: int) -> dict[tuple[str, str], list]:
    """Every (helper, run) `rounds` times, interleaved, each in a new process."""
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for helper in helpers:
            for run in RUNS:
                got = child_result("bench.summary", "--child", helper, run, str(folder))
                results.setdefault((helper, run), []).append(got)
    return results


def report(results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    """Median seconds and peak GB of each (helper, run), and its rows."""
    print(f"\n{'helper':16s} {'run':10s} {'seconds':>8s} {'peak GB':>8s} {'rows':>8s}")
    for (helper, run), got in results.items():
        seconds = statistics.median(r["seconds"] for r in got)
        peak = statistics.median(r["peak_gb"] for r in got)
        print(f"{helper:16s} {run:10s} {seconds:8.2f} {peak:8.2f} {got[0]['rows']:8,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10 * MILLION)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--helpers", nargs="+", choices=HELPERS, default=list(HELPERS))
    parser.add_argument("--out", type=Path, help="keep the snapshots in this folder (reused)")
    child_args = {"nargs": 3, "metavar": ("HELPER", "RUN", "FOLDER"), "help": argparse.SUPPRESS}
    parser.add_argument("--child", **child_args)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return
    folder = args.out or Path(tempfile.mkdtemp(prefix="provlytics-bench-"))
    try:
        if not (folder / "big").is_dir():
            start = time.perf_counter()
            build(folder, max(1, args.events // MILLION))
            print(f"snapshots written in {time.perf_counter() - start:.0f} s")
        report(measure(folder, args.helpers, args.rounds))
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
