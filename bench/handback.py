"""Benchmark: how `pv.load` workers hand their pages back: pickled (the baseline) or as Arrow
IPC files memory-mapped by the loading process (`provlytics.pipeline.handback`).

    python -m bench.handback [--records 100000 400000] [--repeat 3] [--baseline 68b68e9]

Writes N synthetic Graph v1.0 records as pages of 1000 (`bench.normalize.write_pages`, over
3 days) for each N given, then runs each method in its own process, in `--repeat` rounds
that take every size and method in turn (a slow spell of the machine hits them all), and
reports per size the median seconds of `pv.load(data, workers=...)`, the ratio to the
pickled baseline and the peak memory of all the method's processes together (the process
and its workers, summed from /proc every 0.1 s: RSS, an upper bound that counts shared
library pages once per process, and PSS; `bench.store._Memory`):
- 1 process: `workers=1`, this tree's code (nothing handed back);
- pickled, 2 workers: `workers=2` with the code of the `--baseline` commit (default
  68b68e9, before the IPC hand-back), its `provlytics/` extracted with `git archive` into
  a temporary folder put first on the path;
- IPC, 2 workers: `workers=2` with this tree's code.
The page cache that holds the IPC files while they are mapped counts in the loading
process's RSS (the pages it touched), as the unpickled tables did.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.baseline import extract
from bench.normalize import write_pages

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("one", "pickled", "ipc")
NAMES = {"one": "1 process", "pickled": "pickled, 2 workers", "ipc": "IPC, 2 workers"}
WORKERS = {"one": 1, "pickled": 2, "ipc": 2}


def run_method(method: str, data: Path) -> None:
    """Run one method in this process and print its seconds and peak memory as JSON."""
    import provlytics as pv
    from bench.store import _Memory
    from provlytics.pipeline import workers

    handback = hasattr(workers, "take_back")  # what the code running hands back
    memory = _Memory()
    memory.start()
    start = time.perf_counter()
    frames = pv.load(data, progress=False, workers=WORKERS[method])
    seconds = time.perf_counter() - start
    memory.stop.set()
    memory.join()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "seconds": seconds,
        "peak_mb": max(own_peak, memory.rss_mb),
        "pss_mb": memory.pss_mb,
        "events": len(frames.events),
        "ipc": handback,
        "code": str(Path(pv.__file__).parent),
    }
    print(json.dumps(result))


def _child(method: str, data: Path, base: Path) -> dict:
    """Run `method` in a fresh process; the pickled baseline with `base` first on the path."""
    path = str(base) if method == "pickled" else ""
    code = (
        f"import sys; sys.path.insert(0, {path!r}) if {path!r} else None\n"
        f"from bench.handback import run_method; from pathlib import Path\n"
        f"run_method({method!r}, Path({str(data)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    baseline = method == "pickled"
    assert outcome["ipc"] is not baseline, outcome  # each method ran the code it names
    assert outcome["code"].startswith(str(base)) is baseline, outcome
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every method (median)")
    parser.add_argument("--baseline", default="68b68e9", help="commit of the pickled code")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-handback-") as tmp:
        work = Path(tmp)
        (work / "base").mkdir()
        extract(args.baseline, work / "base")
        for n in args.records:
            write_pages(work / f"data-{n}", n, 1000)
        runs: dict[tuple[int, str], list[dict]] = {}
        for _ in range(args.repeat):  # rounds, so that a slow spell of the machine hits all
            for n in args.records:
                for method in args.methods:
                    result = _child(method, work / f"data-{n}", work / "base")
                    runs.setdefault((n, method), []).append(result)
    for n in args.records:  # every method loaded the same events
        assert len({r["events"] for m in args.methods for r in runs[n, m]}) == 1, n
    _report(runs, args.records, args.methods)


def _report(runs: dict[tuple[int, str], list[dict]], sizes: list[int], methods: list[str]) -> None:
    print(f"{'method':<20}{'records':>9}{'seconds':>9}{'rec/s':>9}{'x pickled':>10}"
          f"{'peak MB':>9}{'PSS MB':>9}")  # fmt: skip
    for n in sizes:
        seconds = {m: statistics.median(r["seconds"] for r in runs[n, m]) for m in methods}
        for method in methods:
            peak = max(r["peak_mb"] for r in runs[n, method])
            pss = max(r["pss_mb"] for r in runs[n, method])
            ratio = f"{seconds['pickled'] / seconds[method]:>10.2f}" if "pickled" in seconds else ""
            print(
                f"{NAMES[method]:<20}{n:>9}{seconds[method]:>9.2f}{n / seconds[method]:>9.0f}"
                f"{ratio:>10}{peak:>9.0f}{pss:>9.0f}"
            )


if __name__ == "__main__":
    main()
