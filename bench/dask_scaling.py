"""Benchmark: a diagnostic-settings archive loaded on a local Dask cluster of 1, 2 and 4 workers,
against `pv.load(..., workers=1)` in the same run.

    python -m bench.dask_scaling [--records 200000] [--blobs 72] [--repeat 3]

Writes N synthetic records as a diagnostic-settings export (`tenantId=…/y=/m=/d=/h=/m=00/
PT1H.json`, one blob of JSON lines per hour), starts three `distributed.LocalCluster`s (1, 2
and 4 single-threaded worker processes), warms each up on one blob (workers import provlytics
once, as on a long-lived cluster), then runs `--repeat` rounds that take every method in turn
(so that a slow spell of the machine hits them all) and reports the median seconds and
records/s of each:
- `load1`: `pv.load(archive, workers=1)`, in this process;
- `daskN`: `pv.load_dask(archive, client=...)` on the N-worker cluster, into frames; the
  driver (this process) de-duplicates and sorts, as `pv.load` does.
Cluster start-up is not timed (`load_dask` runs on an existing cluster). The first round
checks that every method gives the same events table. Prints the cores and load average:
on a shared machine the scaling is bounded by the cores free at the time.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

import provlytics as pv
from provlytics.synthetic import generate_records, to_diagnostic

WORKERS = (1, 2, 4)
TENANT = "tenantId=0d4b6f4e-2a7c-4c51-9d6a-7f0e5d8b1a11"


def write_archive(root: Path, records: int, blobs: int) -> list[Path]:
    """`records` diagnostic records over `blobs` hours, one `PT1H.json` per hour."""
    start = datetime(2026, 11, 17, tzinfo=UTC)
    per_blob = -(-records // blobs)
    lines: list[bytes] = []
    paths: list[Path] = []
    for record in generate_records(records, seed=3, start=start, days=blobs / 24):
        lines.append(orjson.dumps(to_diagnostic(record)) + b"\n")
        if len(lines) == per_blob:
            paths.append(_write_blob(root, start + timedelta(hours=len(paths)), lines))
            lines = []
    if lines:
        paths.append(_write_blob(root, start + timedelta(hours=len(paths)), lines))
    return paths


def _write_blob(root: Path, hour: datetime, lines: list[bytes]) -> Path:
    blob = root / TENANT / hour.strftime("y=%Y/m=%m/d=%d/h=%H/m=00") / "PT1H.json"
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(b"".join(lines))
    return blob


def timed(run: Callable[[], pv.ProvisioningFrames]) -> tuple[float, pv.ProvisioningFrames]:
    gc.collect()
    began = time.perf_counter()
    frames = run()
    return time.perf_counter() - began, frames


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--blobs", type=int, default=72, help="hourly PT1H.json blobs")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every method (median)")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        archive = work / "archive"
        began = time.perf_counter()
        blobs = write_archive(archive, args.records, args.blobs)
        size = sum(b.stat().st_size for b in blobs) / 2**20
        print(f"{len(blobs)} blobs, {args.records} records, {size:.0f} MB, written in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)  # fmt: skip
        clusters = {
            n: LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            for n in WORKERS
        }
        clients = {n: Client(cluster, set_as_default=False) for n, cluster in clusters.items()}
        try:
            for client in clients.values():
                client.wait_for_workers(len(client.scheduler_info()["workers"]))
                pv.load_dask(blobs[0], client=client, progress=False)  # workers import once
            methods: dict[str, Callable[[], pv.ProvisioningFrames]] = {
                "load1": lambda: pv.load(archive, workers=1, progress=False),
                **{
                    f"dask{n}": (lambda c=c: pv.load_dask(archive, client=c, progress=False))
                    for n, c in clients.items()
                },
            }
            seconds = _rounds(methods, args.repeat)
        finally:
            for client in clients.values():
                client.close()
            for cluster in clusters.values():
                cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(seconds, args.records, load_before)


def _rounds(methods: dict[str, Callable[[], pv.ProvisioningFrames]], repeat: int) -> dict:
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    for round_ in range(repeat):
        reference = None
        for name, run in methods.items():
            took, frames = timed(run)
            seconds[name].append(took)
            print(f"round {round_ + 1} {name}: {took:.2f} s", file=sys.stderr)
            if round_ == 0:
                events = frames.table("events")
                reference = reference or events
                if not events.equals(reference):
                    raise SystemExit(f"{name} gave other events than load1")
            del frames
    return seconds


def _report(seconds: dict[str, list[float]], records: int, load_before: float) -> None:
    base = statistics.median(seconds["load1"])
    after = os.getloadavg()[0]
    print(
        f"cores: {os.cpu_count()}; 1-min load average before/after: {load_before:.2f}/{after:.2f}"
    )
    print(f"{'method':<8} {'median s':>9} {'records/s':>10} {'vs load1':>9}  rounds (s)")
    for name, runs in seconds.items():
        median = statistics.median(runs)
        rounds = " ".join(f"{s:.2f}" for s in runs)
        print(
            f"{name:<8} {median:>9.2f} {records / median:>10,.0f} {base / median:>8.2f}x  {rounds}"
        )


if __name__ == "__main__":
    main()
