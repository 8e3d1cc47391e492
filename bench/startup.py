"""Benchmark: how long the command line takes to start.

    python -m bench.startup [--rounds 15]

Each command runs in a fresh process, every command once per round (interleaved, so that a
busy spell of the machine hits all of them), after one warm-up round that is not counted;
reported: the median and the fastest wall time, and the median above `python -c pass`.

- `python -c pass` and `python -c "import click"`: the floor (the interpreter, and the CLI's
  one dependency).
- `import provlytics`: the package, whose public names are imported when first used.
- `provlytics --help` and every command's `--help`: the installed console script.
- eager `--help`: the same `--help` after importing every command module and every library
  module the commands use, as the CLI did before its commands were imported lazily.
- `fetch --help` with msal and requests: as the Graph commands' `--help` did before their
  options came from `provlytics.graph.settings` (the Graph wing's names imported eagerly).

The target (issue 14): `provlytics --help` under 0.3 s; here every command's `--help` too.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from provlytics.cli import _COMMANDS

TARGET = 0.3  # seconds, `provlytics --help` (and each command's)

# what the commands import when they run (before: at startup, through the command modules)
_EAGER = (
    "provlytics.analysis",
    "provlytics.cli.fetch",
    "provlytics.cli.load",
    "provlytics.cli.on_demand",
    "provlytics.cli.ops",
    "provlytics.cli.report",
    "provlytics.datasets",
    "provlytics.loader",
    "provlytics.operations",
    "provlytics.parquet",
    "provlytics.privacy",
    "provlytics.redact",
    "provlytics.report",
    "provlytics.sources.graph_logs",
    "provlytics.sources.jobs",
    "provlytics.sources.on_demand",
    "provlytics.store",
)


def commands() -> dict[str, list[str]]:
    """Name -> argv of each measured command.

    Raises:
        SystemExit: the `provlytics` console script is not installed beside this interpreter.
    """
    script = Path(sys.executable).parent / "provlytics"
    if not script.is_file():
        raise SystemExit(f"{script} not found: install the package first (make setup)")
    python = sys.executable
    eager = f"import {', '.join(_EAGER)}; from provlytics.cli import main; main()"
    graph = "import provlytics.graph.auth, provlytics.graph.client; from provlytics.cli import main"
    helps = {f"provlytics {name} --help": [str(script), name, "--help"] for name in _COMMANDS}
    return {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import click"': [python, "-c", "import click"],
        'python -c "import provlytics"': [python, "-c", "import provlytics"],
        "provlytics --help": [str(script), "--help"],
        **helps,
        "eager --help (as before)": [python, "-c", eager, "--help"],
        "fetch --help, msal+requests": [python, "-c", f"{graph}; main()", "fetch", "--help"],
    }


def wall_time(argv: list[str]) -> float:
    """Seconds from starting `argv` to its exit (output discarded).

    Raises:
        subprocess.CalledProcessError: the command failed.
    """
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """Wall times of every command, `rounds` interleaved rounds after one warm-up round."""
    for argv in runs.values():
        wall_time(argv)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, argv in runs.items():
            times[name].append(wall_time(argv))
    return times


def report(times: dict[str, list[float]]) -> None:
    floor = statistics.median(times["python -c pass"])
    print(f"{'command':<30}{'median s':>10}{'fastest s':>11}{'above pass':>12}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<30}{median:>10.3f}{min(values):>11.3f}{median - floor:>12.3f}")
    helps = {name: statistics.median(v) for name, v in times.items() if name.startswith("prov")}
    slowest = max(helps, key=helps.__getitem__)
    verdict = "met" if helps[slowest] < TARGET else "NOT met"
    print(f"\ntarget: every provlytics ... --help < {TARGET} s: {verdict} ", end="")
    print(f"(slowest: {slowest}, {helps[slowest]:.3f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (median)")
    args = parser.parse_args(argv)
    runs = commands()
    report(measure(runs, args.rounds))
    print(f"{args.rounds} rounds; {sys.executable}")


if __name__ == "__main__":
    main()
