"""Benchmarks: each measures its methods in fresh processes, against baselines in the same run."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def child_result(module: str, *args: str) -> dict[str, Any]:
    """Run `python -m <module> ARGS...` in a fresh process (so imports and memory of one
    method never count for another); its last stdout line is the JSON result."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args], check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
