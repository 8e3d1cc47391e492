"""Arrow's memory pool in provlytics' own processes: its worker processes
(`worker_start`) and the command line (`provlytics.cli.main`), never a caller's process.

Arrow's default pool, mimalloc, keeps much of the memory a load frees; jemalloc hands it
back to the system. Measured with `python -m bench.store --records 100000 1000000
--methods store workers2 --baseline-env ARROW_DEFAULT_MEMORY_POOL=jemalloc` (same rounds,
medians): one process 286 / 307 MB RSS against 334 / 364 MB at 100k / 1M records, at the
same speed (0.91-1.13x, within the machine's noise); each worker ~45 MB less. Arrow reads
`ARROW_DEFAULT_MEMORY_POOL` once, when pyarrow is imported, and it also governs the
allocations of the Parquet writer and the compute kernels (`pa.set_memory_pool` would change
only pyarrow's own): so the choice is made by setting it before pyarrow is imported.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def prefer_jemalloc() -> bool:
    """Set `ARROW_DEFAULT_MEMORY_POOL` to jemalloc (the system allocator where pyarrow's
    wheels lack jemalloc: not Linux), unless it is set or pyarrow is imported already (its
    pool is then chosen); returns whether it set it. Child processes inherit it."""
    if VARIABLE in os.environ or "pyarrow" in sys.modules:
        return False
    os.environ[VARIABLE] = "jemalloc" if sys.platform == "linux" else "system"
    return True
