"""Deterministic synthetic Graph v1.0 `provisioningObjectSummary` records.

>>> from provlytics.synthetic import generate_records
>>> first = next(generate_records(1, seed=3))
>>> first["provisioningStatusInfo"]["status"] in {"success", "skipped", "failure", "warning"}
True
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from provlytics.synthetic.catalogue import CONFLICT_CODES, ERRORS, SKIP_REASONS, ErrorSpec, Plan
from provlytics.synthetic.steps import build_properties, build_steps
from provlytics.synthetic.world import App, Person, World, build_world, derived_guid, new_guid

logger = logging.getLogger(__name__)

DEFAULT_START = datetime(2026, 11, 17, tzinfo=UTC)
CYCLE_SECONDS = 40 * 60
STATUSES = ("success", "skipped", "failure", "warning")
_STATUS_CUM = tuple(itertools.accumulate((0.60, 0.25, 0.12, 0.03)))
_SUCCESS_ACTIONS = ("create", "update", "disable", "delete", "stagedDelete")
_SUCCESS_CUM = tuple(itertools.accumulate((0.25, 0.57, 0.09, 0.06, 0.03)))
_SKIP_CUM = tuple(itertools.accumulate((0.5, 0.4, 0.1)))
_GROUP_SHARE = 0.2
_FRACTION_SHARE = 0.7
_DURATIONS = {"success": (7.0, 0.6), "skipped": (6.0, 0.5), "failure": (7.6, 0.7),
              "warning": (7.3, 0.5)}  # fmt: skip


def generate_records(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    days: float = 3,
    apps: Sequence[str] | None = None,
) -> Iterator[dict]:
    """Yield `n` v1.0 provisioning records, sorted by `activityDateTime`.

    The same arguments always give the same records (nothing reads the clock). Events spread
    evenly over `days` days from `start` (default 2026-11-17T00:00:00Z); each belongs to the
    40-minute cycle of its job that was running at the time.

    Args:
        n: How many records to yield.
        seed: Seed of the event stream; the tenant and its apps are the same for every seed.
        start: When the first cycle may begin (timezone-aware).
        days: Length of the period covered.
        apps: Keys of `world.APP_SPECS` to restrict the events to (default: all five apps).
    """
    world = build_world()
    rng = random.Random(seed)
    start = start or DEFAULT_START
    jobs, cum = _jobs(world, apps)
    origin = start.timestamp()
    span = days * 86400.0
    cycles: dict[tuple[str, int], str] = {}
    logger.debug("generating %d records (seed %d) from %s", n, seed, start.isoformat())
    for index in range(n):
        when = origin + span * (index + rng.random()) / n
        app, job_id = jobs[bisect.bisect(cum, rng.random() * cum[-1])]
        plan = _plan(rng, world, app, job_id)
        yield _record(rng, world, plan, when, _cycle_id(cycles, job_id, when))


def _jobs(world: World, keys: Sequence[str] | None) -> tuple[list[tuple[App, str]], list[float]]:
    chosen = [a for a in world.apps if keys is None or a.spec.key in keys]
    if not chosen:
        raise ValueError(f"no synthetic app among {list(keys or [])!r}")
    jobs = [(app, job) for app in chosen for job in app.job_ids]
    weights = [app.spec.weight / len(app.job_ids) for app, _ in jobs]
    return jobs, list(itertools.accumulate(weights))


def _cycle_id(cache: dict[tuple[str, int], str], job_id: str, when: float) -> str:
    """The id of the job's 40-minute cycle running at `when` (the same in every stream)."""
    phase = _phase(job_id)
    key = (job_id, int((when - phase) // CYCLE_SECONDS))
    if key not in cache:
        cache[key] = derived_guid(*key)
    return cache[key]


@functools.cache
def _phase(job_id: str) -> int:
    """Seconds past the 40-minute grid at which the job's cycles start."""
    return int(derived_guid(job_id)[:4], 16) % CYCLE_SECONDS


def _plan(rng: random.Random, world: World, app: App, job_id: str) -> Plan:
    status = STATUSES[bisect.bisect(_STATUS_CUM, rng.random() * _STATUS_CUM[-1])]
    groups = app.spec.group_type is not None and rng.random() < _GROUP_SHARE
    subject = rng.choice(world.groups if groups else world.users)
    plan = Plan(app, job_id, subject, "update", status)
    if status == "failure":
        return _failure_plan(rng, world, plan)
    if status == "skipped":
        return _skip_plan(rng, world, plan)
    if status == "warning":
        error = ERRORS["UnableToResolveReferenceAttributeValue"]
        action = rng.choice(error.actions)
    else:
        error = None
        action = _SUCCESS_ACTIONS[bisect.bisect(_SUCCESS_CUM, rng.random() * _SUCCESS_CUM[-1])]
    target = world.target_ids[(app.spec.key, subject.object_id)]
    return Plan(app, job_id, subject, action, status, error, None, target)


def _error_spec(app: App, code: str) -> ErrorSpec:
    if app.spec.inbound and code == "SystemForCrossDomainIdentityManagementBadResponse":
        return ERRORS["ADBadResponse"]
    return ERRORS[code]


def _failure_plan(rng: random.Random, world: World, plan: Plan) -> Plan:
    app = plan.app
    error = _error_spec(app, rng.choice(app.spec.error_codes))
    action = rng.choice(error.actions)
    subject, other = plan.subject, None
    if error.code in CONFLICT_CODES:
        first, second = rng.choice(world.pairs)
        subject, other = world.users[second], world.users[first]
        target = world.target_ids[(app.spec.key, other.object_id)]
    elif action == "create":
        target = ""
    else:
        target = world.target_ids[(app.spec.key, subject.object_id)]
    return Plan(app, plan.job_id, subject, action, "failure", error, None, target, other)


def _skip_plan(rng: random.Random, world: World, plan: Plan) -> Plan:
    reason = SKIP_REASONS[bisect.bisect(_SKIP_CUM, rng.random() * _SKIP_CUM[-1])]
    if reason == "RedundantExport":
        target = world.target_ids[(plan.app.spec.key, plan.subject.object_id)]
        return Plan(plan.app, plan.job_id, plan.subject, "other", "skipped", None, reason, target)
    action = "create" if reason == "AttributeValidationFailed" else "other"
    return Plan(plan.app, plan.job_id, plan.subject, action, "skipped", None, reason)


def _timestamp(rng: random.Random, when: float) -> str:
    whole = int(when)
    text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if rng.random() < _FRACTION_SHARE:
        return f"{text}.{int((when - whole) * 1e7):07d}Z"
    return f"{text}Z"


def _record(rng: random.Random, world: World, plan: Plan, when: float, cycle_id: str) -> dict:
    app = plan.app
    mu, sigma = _DURATIONS[plan.status]
    return {
        "id": new_guid(rng),
        "activityDateTime": _timestamp(rng, when),
        "tenantId": world.tenant_id,
        "jobId": plan.job_id,
        "cycleId": cycle_id,
        "changeId": new_guid(rng),
        "provisioningAction": plan.action,
        "durationInMilliseconds": max(40, int(rng.lognormvariate(mu, sigma))),
        "initiatedBy": {
            "id": "",
            "displayName": "Azure AD Provisioning Service",
            "initiatorType": "system",
        },
        "servicePrincipal": {"id": app.sp_id, "displayName": app.spec.sp_name},
        "sourceSystem": {
            "id": app.source_system_id,
            "displayName": app.spec.source_name,
            "details": {},
        },
        "targetSystem": _target_system(app),
        "sourceIdentity": _source_identity(plan),
        "targetIdentity": _target_identity(plan),
        "provisioningStatusInfo": _status_info(plan),
        "provisioningSteps": build_steps(plan),
        "modifiedProperties": build_properties(plan, rng),
    }


def _target_system(app: App) -> dict:
    return {
        "id": app.target_system_id,
        "displayName": app.spec.target_name,
        "details": {
            "ApplicationId": app.app_id,
            "ServicePrincipalId": app.sp_id,
            "ServicePrincipalDisplayName": app.spec.sp_name,
        },
    }


def _source_identity(plan: Plan) -> dict:
    subject, kind = plan.subject, plan.kind
    details = {"id": subject.object_id, "odatatype": kind, "DisplayName": subject.display_name}
    source_id = subject.object_id
    if isinstance(subject, Person) and plan.app.spec.inbound:
        source_id = subject.object_id.replace("-", "")
        details = {"WorkerID": subject.worker_id, "DisplayName": subject.display_name}
    return {
        "id": source_id,
        "displayName": subject.display_name,
        "identityType": kind,
        "details": details,
    }


def _target_identity(plan: Plan) -> dict:
    spec = plan.app.spec
    kind = spec.group_type if plan.kind == "Group" else spec.user_type
    shown = plan.other or plan.subject
    return {
        "id": plan.target_id,
        "displayName": shown.display_name if plan.target_id else "",
        "identityType": kind,
        "details": {},
    }


def _status_info(plan: Plan) -> dict:
    error = plan.error
    if error is None:
        return {"status": plan.status, "errorInformation": None}
    values = {
        "app": plan.app.spec.target_name,
        "kind": plan.kind.lower(),
        "name": plan.reportable,
        "other": plan.other.upn if plan.other else "",
        "target_id": plan.target_id,
        "attr": plan.attr,
    }
    return {
        "status": plan.status,
        "errorInformation": {
            "errorCode": error.code,
            "errorCategory": error.category,
            "reason": error.render(error.reason, **values),
            "additionalDetails": error.render(error.details, **values),
            "recommendedAction": error.render(error.recommended, **values),
        },
    }
