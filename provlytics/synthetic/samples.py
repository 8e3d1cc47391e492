"""Write the committed sample set (`data/samples/`), one folder per dialect, deterministically."""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from provlytics.synthetic.jobs import generate_jobs
from provlytics.synthetic.on_demand import SYNCFABRIC_CONTEXT, to_on_demand
from provlytics.synthetic.records import generate_records
from provlytics.synthetic.shapes import (
    LA_COLUMNS,
    PORTAL_EVENT_HEADERS,
    PORTAL_PROPERTY_HEADERS,
    PORTAL_STEP_HEADERS,
    to_beta_legacy,
    to_diagnostic,
    to_log_analytics,
    to_portal_csv_rows,
    to_portal_json,
)
from provlytics.synthetic.world import APP_SPECS, build_world

logger = logging.getLogger(__name__)

SAMPLE_SEED = 7
PAGE_SIZE = 500
GRAPH_V1_URL = "https://graph.microsoft.com/v1.0/auditLogs/provisioning"
GRAPH_V1_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"
GRAPH_BETA_CONTEXT = "https://graph.microsoft.com/beta/$metadata#auditLogs/provisioning"
# Records per file. Graph pages carry the bulk; the other dialects need only enough for coverage.
# Real records weigh ~2.7 KB, so this keeps the folder near 4 MB.
COUNTS = {
    "graph": 1050,
    "beta": 80,
    "ndjson": 500,
    "hour": 100,
    "eventhub": 40,
    "la_csv": 80,
    "la_json": 40,
    "portal_json": 60,
    "portal_csv": 80,
}
OVERLAP = 20  # Graph events repeated in the portal JSON download, to exercise de-duplication
_DAY = datetime(2026, 11, 17, tzinfo=UTC)


def _records(n: int, offset: int, start: datetime, days: float) -> list[dict]:
    return list(generate_records(n, seed=SAMPLE_SEED + offset, start=start, days=days))


def _dump(value: object, *, indent: bool = False) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0) + b"\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    logger.info("wrote %s (%d bytes)", path, len(data))


def write_samples(outdir: Path | str) -> list[Path]:
    """Write every sample file under `outdir` and return their paths (same bytes on every run)."""
    out = Path(outdir)
    graph = _records(COUNTS["graph"], 0, _DAY, 3)
    writers = (
        _write_graph(out, graph),
        _write_beta(out),
        _write_ndjson(out),
        _write_diagnostic(out),
        _write_log_analytics(out),
        _write_portal(out, graph),
        _write_on_demand(out),
        _write_jobs(out),
    )
    paths = [path for written in writers for path in written]
    readme = out / "README.md"
    _write(readme, _readme().encode())
    return [*paths, readme]


def _write_graph(out: Path, records: Sequence[dict]) -> list[Path]:
    paths = []
    pages = [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)]
    for number, page in enumerate(pages, start=1):
        body: dict = {"@odata.context": GRAPH_V1_CONTEXT, "value": list(page)}
        if number < len(pages):
            token = hashlib.sha256(f"{SAMPLE_SEED}:{number}".encode()).hexdigest()[:40]
            body["@odata.nextLink"] = f"{GRAPH_V1_URL}?$top={PAGE_SIZE}&$skiptoken={token}"
        paths.append(out / "graph-v1" / f"provisioning-page-{number:03d}.json")
        _write(paths[-1], _dump(body))
    return paths


def _write_beta(out: Path) -> list[Path]:
    records = _records(COUNTS["beta"], 1, _DAY - timedelta(days=3), 1)
    value = [to_beta_legacy(r, keep_new=i % 4 == 0) for i, r in enumerate(records)]
    path = out / "graph-beta" / "provisioning-legacy.json"
    _write(path, _dump({"@odata.context": GRAPH_BETA_CONTEXT, "value": value}))
    return [path]


def _write_ndjson(out: Path) -> list[Path]:
    records = _records(COUNTS["ndjson"], 2, _DAY + timedelta(days=3), 1)
    path = out / "ndjson" / "provisioning.ndjson.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
        gz.writelines(orjson.dumps(r) + b"\n" for r in records)
    logger.info("wrote %s", path)
    return [path]


def _write_diagnostic(out: Path) -> list[Path]:
    tenant = build_world().tenant_id
    hour_start = datetime(2026, 11, 18, 9, tzinfo=UTC)
    hour = _records(COUNTS["hour"], 3, hour_start, 1 / 24)
    blob = out / "diagnostic" / f"tenantId={tenant}" / "y=2026/m=11/d=18/h=09/m=00/PT1H.json"
    _write(blob, b"".join(orjson.dumps(to_diagnostic(r)) + b"\n" for r in hour))
    batch = _records(COUNTS["eventhub"], 4, hour_start + timedelta(hours=1), 1 / 24)
    hub = out / "diagnostic" / "eventhub-batch.json"
    _write(hub, _dump({"records": [to_diagnostic(r) for r in batch]}))
    return [blob, hub]


def _csv_bytes(headers: Sequence[str], rows: Iterable[dict], *, bom: bool) -> bytes:
    lines: list[str] = []

    class _Sink:
        def write(self, text: str) -> None:
            lines.append(text)

    writer = csv.DictWriter(_Sink(), fieldnames=headers, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return "".join(lines).encode("utf-8-sig" if bom else "utf-8")


def _write_log_analytics(out: Path) -> list[Path]:
    rows = [to_log_analytics(r) for r in _records(COUNTS["la_csv"], 5, _DAY - timedelta(2), 1)]
    csv_path = out / "log-analytics" / "AADProvisioningLogs.csv"
    _write(csv_path, _csv_bytes(LA_COLUMNS, rows, bom=False))
    more = _records(COUNTS["la_json"], 6, _DAY - timedelta(days=1), 1)
    json_path = out / "log-analytics" / "AADProvisioningLogs.json"
    _write(json_path, _dump([to_log_analytics(r) for r in more]))
    return [csv_path, json_path]


def _write_portal(out: Path, graph: Sequence[dict]) -> list[Path]:
    step = max(1, len(graph) // OVERLAP)
    shared = list(graph[step // 2 :: step])[:OVERLAP]
    own = _records(COUNTS["portal_json"], 7, _DAY + timedelta(days=4), 1)
    newest_first = sorted([*own, *shared], key=lambda r: r["activityDateTime"], reverse=True)
    json_path = out / "portal" / "ProvisioningLogs.json"
    _write(json_path, orjson.dumps([to_portal_json(r) for r in newest_first]))
    csv_records = reversed(_records(COUNTS["portal_csv"], 8, _DAY + timedelta(days=5), 1))
    return [json_path, *write_portal_csv(out / "portal", csv_records)]


def write_portal_csv(folder: Path, records: Iterable[dict]) -> list[Path]:
    """Graph v1.0 `records` as the portal's three-file CSV download writes them (UTF-8 with
    a byte-order mark, CRLF; `shapes.to_portal_csv_rows`): `ProvisioningLogs.csv`,
    `ProvisioningLogs_ProvisioningSteps.csv` and `ProvisioningLogs_ModifiedProperties.csv`
    in `folder` (created if missing). Returns their paths, in that order."""
    events, steps, props = [], [], []
    for rec in records:
        event, step_rows, prop_rows = to_portal_csv_rows(rec)
        events.append(event)
        steps.extend(step_rows)
        props.extend(prop_rows)
    files = (
        ("ProvisioningLogs.csv", PORTAL_EVENT_HEADERS, events),
        ("ProvisioningLogs_ProvisioningSteps.csv", PORTAL_STEP_HEADERS, steps),
        ("ProvisioningLogs_ModifiedProperties.csv", PORTAL_PROPERTY_HEADERS, props),
    )
    for name, headers, rows in files:
        _write(Path(folder) / name, _csv_bytes(headers, rows, bom=True))
    return [Path(folder) / name for name, _, _ in files]


def _status(rec: dict) -> str:
    return rec["provisioningStatusInfo"]["status"]


def _is_user(rec: dict) -> bool:
    return rec["sourceIdentity"]["identityType"] == "User"


def _redundant_user(rec: dict) -> bool:
    return _is_user(rec) and rec["provisioningSteps"][-1]["details"].get("SkipReason") == (
        "RedundantExport"
    )


def _updated_user(rec: dict) -> bool:
    return _is_user(rec) and _status(rec) == "success" and rec["provisioningAction"] == "update"


def _scim_bad_response(rec: dict) -> bool:
    error = rec["provisioningStatusInfo"]["errorInformation"] or {}
    return (
        error.get("errorCode") == "SystemForCrossDomainIdentityManagementBadResponse"
        and rec["targetSystem"]["displayName"] == "customappsso"
    )


def _created_group(rec: dict) -> bool:
    return not _is_user(rec) and _status(rec) == "success" and rec["provisioningAction"] == "create"


# On-demand sample file -> (which event to pick, options of `to_on_demand`).
ON_DEMAND_CASES: dict[str, tuple[Callable[[dict], bool], dict]] = {
    "skipped-redundant-export.json": (_redundant_user, {}),
    "success-update.json": (_updated_user, {}),
    "failure-scim-bad-response.json": (_scim_bad_response, {}),
    "group-success.json": (_created_group, {"empty_value": True, "context": SYNCFABRIC_CONTEXT}),
}


def _write_on_demand(out: Path) -> list[Path]:
    pool = _records(2000, 9, _DAY + timedelta(days=2), 1)
    paths = []
    for name, (wanted, options) in ON_DEMAND_CASES.items():
        rec = next(r for r in pool if wanted(r))
        paths.append(out / "on-demand" / name)
        _write(paths[-1], _dump(to_on_demand(rec, **options), indent=True))
    return paths


def _write_jobs(out: Path) -> list[Path]:
    paths = []
    for spec in APP_SPECS:
        listing = generate_jobs(spec.key, seed=SAMPLE_SEED)
        sp_id = build_world().app(spec.key).sp_id
        paths.append(out / "jobs" / f"jobs-{sp_id}.json")
        _write(paths[-1], _dump(listing, indent=True))
    return paths


_README_HEAD = """# Sample provisioning logs (synthetic)

Every file here is synthetic and deterministic: it describes one made-up tenant with five
provisioning apps (Salesforce, ServiceNow, Slack, a custom SCIM app `customappsso`, and Workday to
Active Directory). Regenerate the whole folder with

    python -m provlytics.synthetic data/samples      # or: make samples

`tests/test_synthetic.py` fails if these files differ from what the generator writes now.
The dialects hold mostly disjoint events (other days or hours); the portal JSON download
deliberately repeats %(overlap)d events of the Graph pages, so de-duplication is exercised.

| file | what it is | records (files for on-demand/jobs) |
|---|---|---:|
"""

_README_ROWS = (
    ("graph-v1/provisioning-page-*.json", "`GET /v1.0/auditLogs/provisioning` pages of %(page)d "
     "with `@odata.nextLink` (none on the last page)", "graph"),
    ("graph-beta/provisioning-legacy.json", "one beta page in the legacy shape (`action`, flat "
     "`statusInfo`); every 4th record also keeps the v1.0 fields", "beta"),
    ("ndjson/provisioning.ndjson.gz", "gzip, one v1.0 record per line", "ndjson"),
    ("diagnostic/tenantId=…/y=2026/m=11/d=18/h=09/m=00/PT1H.json", "diagnostic settings to "
     "storage: JSON lines, envelope + PascalCase `Id`/`Name` + integer step enums", "hour"),
    ("diagnostic/eventhub-batch.json", "diagnostic settings to Event Hub: `{\"records\": [...]}`",
     "eventhub"),
    ("log-analytics/AADProvisioningLogs.csv", "`AADProvisioningLogs` query export (UTF-8, no "
     "BOM); complex columns are JSON text; `TenantId` is the workspace", "la_csv"),
    ("log-analytics/AADProvisioningLogs.json", "the same table exported as a JSON array of rows",
     "la_json"),
    ("portal/ProvisioningLogs.json", "portal download, JSON: one minified array, legacy shape, "
     "newest first", "portal_json"),
    ("portal/ProvisioningLogs*.csv", "portal download, CSV: events, `_ProvisioningSteps`, "
     "`_ModifiedProperties`, joined on `Change Id` (UTF-8 with BOM)", "portal_csv"),
    ("on-demand/*.json", "`provisionOnDemand` responses: Skipped (RedundantExport), Success "
     "(update), Failure (SCIM bad response), a group whose `value` is `\"{}\"`", "on_demand"),
    ("jobs/jobs-<servicePrincipalId>.json", "`GET …/synchronization/jobs` lists: Active jobs, "
     "a quarantined SCIM job and a paused ServiceNow job", "jobs"),
)  # fmt: skip


def _readme() -> str:
    """The README of the sample set (kept in sync with `COUNTS`)."""
    counts = dict(COUNTS, portal_json=COUNTS["portal_json"] + OVERLAP)
    counts["on_demand"] = len(ON_DEMAND_CASES)
    counts["jobs"] = len(APP_SPECS)
    rows = [
        f"| `{name}` | {text % {'page': PAGE_SIZE}} | {counts[key]} |"
        for name, text, key in _README_ROWS
    ]
    return _README_HEAD % {"overlap": OVERLAP} + "\n".join(rows) + "\n"
