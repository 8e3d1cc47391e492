"""Benchmark: every `pv.analysis` helper over 1M events read back from Parquet.

    python -m bench.analysis [--events 1000000] [--days 30] [--jobs 24] [--out DIR]

Builds the five canonical tables of `--events` events directly as Arrow arrays with numpy
(`bench/analysis_data.py`: the synthetic JSON generator plus the normalizer would take minutes
for a million records and are benchmarked by `bench.normalize`), writes them with
`frames.to_parquet`, then, in the same run, times `pv.read_parquet`, the conversion of the
tables to pandas (done once, on first access, and shared by every helper) and each helper of
`pv.analysis.__all__` over the frames read back, `--rounds` times (2). The target is 2 s per
helper on the 2-core reference machine. The table gives each helper's first call, the system
CPU time within it (on this virtual machine, memory a process touches for the first time is
expensive: that is most of the difference between the first call and the next), its best
call, and the ratio of the best to the read time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.analysis_data import build_frames

TARGET_S = 2.0
WHO = "user42@contoso.com"
# how each helper is called in the benchmark (helpers of pv.analysis.__all__ not listed here
# are called with the frames alone)
CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "filter_frames": lambda a, f: a.filter_frames(f, since="7d"),
    "drilldown": lambda a, f: a.drilldown(f, "EntryConflict"),
    "identity_history": lambda a, f: a.identity_history(f, WHO),
    "timeline": lambda a, f: a.timeline(f, freq="1h"),
}
SKIP = {"IdentityHistory"}  # not a helper


def timed(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock seconds one call takes, and the system CPU seconds within them."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    start = time.perf_counter()
    call()
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_SELF).ru_stime - before


Row = tuple[str, tuple[float, float], float]  # name, (first wall, its system CPU), best wall


def run(folder: Path, events: int, days: int, jobs: int, rounds: int) -> list[Row]:
    """Write the dataset, read it back and time everything; the rows of the result table."""
    start = time.perf_counter()
    frames = build_frames(events, days=days, jobs=jobs)
    built = time.perf_counter() - start
    counts = ", ".join(f"{k}={v:,}" for k, v in frames.counts().items())
    print(f"built {counts} in {built:.1f} s")
    print(f"to_parquet: {timed(lambda: frames.to_parquet(folder))[0]:.1f} s")
    frames = None  # free the written tables before reading them back

    import provlytics as pv

    analysis = pv.analysis
    holder: dict[str, Any] = {}
    read = timed(lambda: holder.setdefault("f", pv.read_parquet(folder)))
    rows: list[Row] = [("read_parquet", read, read[0])]
    got = holder["f"]
    tables = ("events", "steps", "modified_properties", "errors", "job_status")
    first = timed(lambda: [getattr(got, t) for t in tables])
    rows.append(("to pandas (all tables, once)", first, first[0]))
    for name in analysis.__all__:
        if name in SKIP:
            continue
        call = CALLS.get(name, lambda a, f, name=name: getattr(a, name)(f))
        times = [timed(lambda call=call: call(analysis, got)) for _ in range(rounds)]
        rows.append((name, times[0], min(t[0] for t in times)))
    return rows


def report(rows: list[Row], rounds: int) -> None:
    """Print the table: helper, first call (and its system time), best of the rounds, ratio
    of the best to the read time, within the target."""
    read = rows[0][2]
    print(
        f"\n{'helper':30s} {'first s':>8s} {'(sys)':>6s} {f'best of {rounds}':>10s} "
        f"{'x read':>7s}  target {TARGET_S:.0f} s"
    )
    for name, (first, system), best in rows:
        verdict = "" if name.startswith(("read", "to pandas")) else "ok"
        if verdict and best > TARGET_S:
            verdict = "OVER"
        print(f"{name:30s} {first:8.2f} {system:6.2f} {best:10.2f} {best / read:7.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2, help="calls of each helper")
    parser.add_argument("--out", type=Path, help="keep the dataset in this new folder")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="provlytics-bench-")) / "dataset"
    try:
        report(run(folder, args.events, args.days, args.jobs, args.rounds), args.rounds)
    finally:
        if args.out is None:
            shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
