"""Benchmark: instructions per record, file to tables, dialect by dialect (callgrind).

    python -m bench.instructions [--records 3000] [--dialects NAME ...] [--baseline COMMIT]

Times swing by 30% and more on the shared 2-core machine; instruction counts do not: the
same code on the same input counts the same instructions whatever else runs. Writes
`--records` synthetic records as each dialect's files (`bench.decode`'s `_DIALECT_FILES`:
Graph v1.0 pages, diagnostic `PT1H.json` lines and Event Hub batches, Graph beta, Log
Analytics JSON and CSV, the portal's JSON and CSV downloads), then, per dialect, loads its
folder as a load reads it (`bench.decode._loaded`: the file source, then each page
normalized) in a child process under `valgrind --tool=callgrind`, once with 1 round and once
with 3: the difference over 2 rounds and the records is what one record costs, imports and
start-up left out. With `--baseline COMMIT`, that commit's `provlytics` (extracted with `git
archive`, as `bench.baseline` does) is counted the same way, beside this tree's.

Instructions are not seconds (memory stalls count nothing), so a change is confirmed by
`bench.decode`'s timed rounds; but they tell where a record's work goes
(`callgrind_annotate` on the files `--keep DIR` keeps) and whether a change removed any.
Needs `valgrind` (Debian's package); each count takes ~20-60 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.baseline import extract
from bench.decode import _DIALECT_FILES, _write_groups
from provlytics.synthetic import generate_records

_ROOT = Path(__file__).resolve().parent.parent
_COLLECTED = re.compile(r"Collected : (\d+)")
_CHILD = (
    "import sys\n"
    "from pathlib import Path\n"
    "from bench.decode import _loaded\n"
    "from provlytics.sources.files import file_tasks\n"
    "tasks = file_tasks(Path(sys.argv[1]))\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    _loaded(tasks)\n"
)


def _tree(commit: str | None, work: Path) -> list[str]:
    """The `sys.path` head of a child: this tree, or an archive of `commit`'s provlytics
    before it."""
    if commit is None:
        return [str(_ROOT)]
    folder = work / f"tree-{commit}"
    folder.mkdir()
    extract(commit, folder)
    return [str(folder), str(_ROOT)]


def _count(path: list[str], folder: Path, rounds: int, keep: Path | None, name: str) -> int:
    """Instructions of a child that loads `folder` `rounds` times with the code on `path`."""
    out = keep / f"{name}-{rounds}.callgrind" if keep else Path(os.devnull)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         sys.executable, "-c", _CHILD, str(folder), str(rounds)],
        capture_output=True, text=True, env=env, cwd=path[0], check=True,
    )  # fmt: skip
    found = _COLLECTED.search(run.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--dialects", nargs="+", choices=sorted(_DIALECT_FILES))
    parser.add_argument("--baseline", metavar="COMMIT", help="also count this commit's code")
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this folder")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    dialects = args.dialects or list(_DIALECT_FILES)
    with tempfile.TemporaryDirectory(prefix="provlytics-instructions-") as tmp:
        work = Path(tmp)
        records = list(generate_records(args.records, seed=1, days=3))
        trees = {"this tree": _tree(None, work)}
        if args.baseline:
            trees = {args.baseline: _tree(args.baseline, work), **trees}
        print(f"{args.records} records; instructions per record, file to tables")
        print(f"{'dialect':<24}" + "".join(f"{label:>16}" for label in trees))
        for dialect in dialects:
            folder = work / dialect.replace(" ", "-")
            _write_groups(folder, records, _DIALECT_FILES[dialect])
            counts = []
            for label, path in trees.items():
                name = f"{dialect}-{label}".replace(" ", "-")
                one, three = (_count(path, folder, r, args.keep, name) for r in (1, 3))
                counts.append((three - one) / 2 / args.records)
            print(f"{dialect:<24}" + "".join(f"{count:>16,.0f}" for count in counts))


if __name__ == "__main__":
    main()
