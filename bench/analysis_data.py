"""A large, plausible `ProvisioningFrames` built with numpy and Arrow compute (no JSON).

Shape (fixed seed): `jobs` jobs running a cycle every 40 minutes over `days` days; each event
belongs to one job and cycle and to one of events/8 identities (2% of them stuck: they fail
with the same code every time, so retry storms exist); statuses 60% success, 25% skipped,
12% failure, 3% warning; four steps per event (import, scoping, matching with the target's
values, export); two modified properties per create or update that was not skipped; one
errors row per failure or warning; one job_status snapshot per job (two quarantined, one
paused). Ids are 36 characters like Graph's GUIDs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.schema import SCHEMAS
from provlytics.tables import ProvisioningFrames

START = np.datetime64("2026-10-01T00:00:00", "us")
CYCLE = np.timedelta64(40, "m")
ACTIONS = ["create", "update", "delete", "disable", "stagedDelete", "other"]
ACTION_P = [0.20, 0.45, 0.04, 0.05, 0.01, 0.25]
STATUSES = ["success", "skipped", "failure", "warning"]
STATUS_P = [0.60, 0.25, 0.12, 0.03]
CODES = [
    "EntryConflict",
    "SalesforceEntryConflict",
    "DuplicateTargetEntries",
    "InvalidAnchor",
    "SystemForCrossDomainIdentityManagementBadResponse",
    "TooManyRequests",
    "UnableToResolveReferenceAttributeValue",
    "Timeout",
]
DEPARTMENTS = ["Sales", "Finance", "Engineering", "Support", "Marketing", "Legal"]
STEPS = [  # (name, type)
    ("EntryImportUpdate", "import"),
    ("EntrySynchronizationScoping", "scoping"),
    ("EntryImport", "matching"),
    ("EntryExportUpdate", "export"),
]


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """36-character ids: an 8-4-4-4 prefix and the number padded to 12 digits."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), 12, "0")
    return pc.binary_join_element_wise(f"{prefix:0>8.8}-0000-4000-8000-", digits, "")


def _text(*parts: str | pa.Array) -> pa.Array:
    """Element-wise concatenation of arrays and constant strings."""
    return pc.binary_join_element_wise(*parts, "")


def _pick(values: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(values).take(pa.array(index))


def _where(condition: np.ndarray | pa.Array, values: pa.Array) -> pa.Array:
    """`values` where `condition` holds, else null."""
    return pc.if_else(pa.array(condition), values, pa.scalar(None, values.type))


def _table(name: str, columns: dict[str, Any], rows: int) -> pa.Table:
    """A table of `name`'s schema from the given columns; every other column is null."""
    schema = SCHEMAS[name]
    arrays = [
        pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def build_frames(events: int, *, days: int = 30, jobs: int = 24, seed: int = 7):
    """The five tables of `events` events as `ProvisioningFrames`."""
    rng = np.random.default_rng(seed)
    ev = _events(rng, events, days, jobs)
    return ProvisioningFrames(
        {
            "events": ev,
            "steps": _steps(rng, ev),
            "modified_properties": _properties(rng, ev),
            "errors": _errors(ev),
            "job_status": _jobs(jobs),
        }
    )


def _events(rng: np.random.Generator, n: int, days: int, jobs: int) -> pa.Table:
    people = max(n // 8, 10)
    job = rng.integers(0, jobs, n)
    cycles_per_job = days * 36
    cycle = rng.integers(0, cycles_per_job, n)
    offset = rng.exponential(180, n).clip(0, 2100).astype("int64") * 1_000_000  # us, < 35 min
    time = START + (job * 97_000_000 + offset) + cycle * CYCLE
    who = rng.integers(0, people, n)
    action = rng.choice(len(ACTIONS), n, p=ACTION_P)
    status = rng.choice(len(STATUSES), n, p=STATUS_P)
    code = rng.integers(0, len(CODES), n)
    stuck = who < people // 50  # these fail with the same code, every time
    status[stuck], code[stuck] = 2, who[stuck] % len(CODES)
    code[status == 3] = CODES.index("UnableToResolveReferenceAttributeValue")
    order = np.argsort(time, kind="stable")
    job, cycle, time, who = job[order], cycle[order], time[order], who[order]
    action, status, code = action[order], status[order], code[order]
    problem = status >= 2
    number = pa.array(who).cast(pa.string())
    job_ids = [
        f"scim.f38b2ffc80a44f5a91c9bc701e7ea419.{j:08d}-aaaa-4bbb-8ccc-{j:012d}"
        for j in range(jobs)
    ]
    codes = _pick(CODES, code)
    columns = {
        "event_id": _ids("e", np.arange(n)),
        "activity_time": pa.array(time, pa.timestamp("us")).cast(pa.timestamp("us", "UTC")),
        "job_id": _pick(job_ids, job),
        "cycle_id": _ids("c", job * cycles_per_job + cycle),
        "change_id": _ids("d", np.arange(n)),
        "action": _pick(ACTIONS, action),
        "status": _pick(STATUSES, status),
        "error_code": _where(problem, codes),
        "error_reason": _where(problem, _text("The target refused user", number, ": ", codes)),
        "skip_reason": _where(
            status == 1, _pick(["RedundantExport", "NotEffectivelyEntitled"], who % 2)
        ),
        "duration_ms": rng.integers(50, 5000, n),
        "service_principal_id": _ids("s", job),
        "service_principal_name": _text("App ", pa.array(job).cast(pa.string())),
        "target_system_name": _text("Target ", pa.array(job % 6).cast(pa.string())),
        "source_id": _ids("u", who),
        "source_name": _text("User ", number),
        "source_type": _pick(["User", "Group"], (who % 10 == 0).astype(int)),
        "target_id": _ids("t", who),
        "reportable_identifier": _text("user", number, "@contoso.com"),
        "dialect": pa.repeat("graph.v1", n),
    }
    return _table("events", columns, n)


def _steps(rng: np.random.Generator, ev: pa.Table) -> pa.Table:
    n = ev.num_rows
    upn, target = ev["reportable_identifier"].combine_chunks(), ev["target_id"].combine_chunks()
    department = _pick(DEPARTMENTS, rng.integers(0, len(DEPARTMENTS), n))
    details = [
        _text('{"objectId":"', ev["source_id"].combine_chunks(), '"}'),
        pa.repeat('{"Scoping filter evaluation passed":"True"}', n),
        _text(
            '{"id":"',
            target,
            '","displayName":"',
            ev["source_name"].combine_chunks(),
            '","department":"',
            department,
            '"}',
        ),
        _text('{"ReportableIdentifier":"', upn, '"}'),
    ]
    described = [_text(f"{name} of User '", upn, "'") for name, _ in STEPS]
    last = ev["status"].combine_chunks()
    statuses = [pa.repeat("success", n)] * 3 + [last]
    # row 4e+k is step k of event e: gather from the four per-step arrays laid end to end
    gather = pa.array((np.arange(4)[None, :] * n + np.arange(n)[:, None]).ravel())
    events = np.repeat(np.arange(n), 4)
    columns = {
        "event_id": ev["event_id"].combine_chunks().take(pa.array(events)),
        "step_index": np.tile(np.arange(4, dtype=np.int32), n),
        "name": _pick([s[0] for s in STEPS], np.tile(np.arange(4), n)),
        "step_type": _pick([s[1] for s in STEPS], np.tile(np.arange(4), n)),
        "status": pa.concat_arrays(statuses).take(gather),
        "description": pa.concat_arrays(described).take(gather),
        "details": pa.concat_arrays(details).take(gather),
    }
    return _table("steps", columns, 4 * n)


def _properties(rng: np.random.Generator, ev: pa.Table) -> pa.Table:
    action, status = ev["action"].to_numpy(), ev["status"].to_numpy()
    changed = np.flatnonzero(np.isin(action, ["create", "update"]) & (status != "skipped"))
    m = len(changed)
    rows = np.repeat(changed, 2)
    old = _pick(DEPARTMENTS, rng.integers(0, len(DEPARTMENTS), m))
    old = _where(rng.random(m) < 0.5, old)  # half not logged
    new = _pick(DEPARTMENTS, rng.integers(0, len(DEPARTMENTS), m))
    gather = pa.array((np.arange(2)[None, :] * m + np.arange(m)[:, None]).ravel())
    columns = {
        "event_id": ev["event_id"].combine_chunks().take(pa.array(rows)),
        "property_index": np.tile(np.arange(2, dtype=np.int32), m),
        "name": _pick(["department", "accountDisabled"], np.tile(np.arange(2), m)),
        "old_value": pa.concat_arrays([old, pa.nulls(m, pa.string())]).take(gather),
        "new_value": pa.concat_arrays([new, pa.repeat("False", m)]).take(gather),
    }
    return _table("modified_properties", columns, 2 * m)


def _errors(ev: pa.Table) -> pa.Table:
    problems = ev.filter(pc.is_in(ev["status"], pa.array(["failure", "warning"])))
    n = problems.num_rows
    reference = pc.equal(problems["error_code"], "UnableToResolveReferenceAttributeValue")
    copied = [f.name for f in SCHEMAS["errors"] if f.name in ev.column_names]
    columns = {c: problems[c].combine_chunks() for c in copied}
    columns["failed_step_name"] = pc.if_else(
        reference, "EntryReferenceResolution", "EntryExportUpdate"
    )
    columns["failed_step_type"] = pc.if_else(reference, "referenceResolution", "export")
    return _table("errors", columns, n)


def _jobs(jobs: int) -> pa.Table:
    ids = [
        f"scim.f38b2ffc80a44f5a91c9bc701e7ea419.{j:08d}-aaaa-4bbb-8ccc-{j:012d}"
        for j in range(jobs)
    ]
    status = ["Quarantine" if j < 2 else "Paused" if j == 2 else "Active" for j in range(jobs)]
    observed = START + np.timedelta64(40, "D")
    columns = {
        "observed_time": pa.array(np.full(jobs, observed), pa.timestamp("us")).cast(
            pa.timestamp("us", "UTC")
        ),
        "job_id": ids,
        "service_principal_id": _ids("s", np.arange(jobs)),
        "status_code": status,
        "schedule_state": ["Paused" if s == "Paused" else "Active" for s in status],
        "quarantine_reason": [
            "EncounteredEscrowProportionThreshold" if s == "Quarantine" else None for s in status
        ],
    }
    return _table("job_status", columns, jobs)
