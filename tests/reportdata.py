"""Inputs for the report tests: the bundled samples and a page whose app name is hostile markup."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
PAGE = SAMPLES / "graph-v1" / "provisioning-page-003.json"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>Salesforce"


def write_hostile_page(folder: Path) -> Path:
    """A copy of one sample Graph page (50 events) where the app `Salesforce` is named `HOSTILE`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.json"
    text = PAGE.read_text(encoding="utf-8").replace('"Salesforce"', json.dumps(HOSTILE))
    path.write_text(text, encoding="utf-8")
    return path
