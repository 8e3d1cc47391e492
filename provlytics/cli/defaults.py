"""Library defaults the commands show in their help, repeated here so that `--help` does not
import the module that owns each one (the store pulls in deltalake and pandas, the Graph log
source pandas and msal, the pseudonymizer pyarrow).

Each value must equal its owner's: tests/test_cli_startup.py compares them.
"""

from __future__ import annotations

LOCK_TIMEOUT = 600.0
"""Seconds `load` waits for another writer of the store: `provlytics.store.LOCK_TIMEOUT`."""

DEFAULT_TOP = 500
"""Records per Graph page `fetch` asks for: `provlytics.sources.graph_logs.DEFAULT_TOP`."""

KEY_VARIABLE = "PROVLYTICS_PSEUDONYMIZE_KEY"
"""Where `report --pseudonymize` reads its key: `provlytics.privacy.KEY_VARIABLE`."""
