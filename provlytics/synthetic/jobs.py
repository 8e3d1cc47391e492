"""Synthetic `GET /servicePrincipals/{id}/synchronization/jobs` responses (graph-api-facts §4)."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from provlytics.synthetic.world import App, build_world, new_guid

logger = logging.getLogger(__name__)

NEVER = "0001-01-01T00:00:00Z"
JOB_STATES = {"salesforce": "Active", "servicenow": "Paused", "slack": "Active",
              "customappsso": "Quarantine", "workday": "Active"}  # fmt: skip
_SETTINGS = [{"name": "AzureIngestionAttributeOptimization", "value": "False"},
             {"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]  # fmt: skip
QUARANTINE_SERIES_AGE = timedelta(days=2, hours=6)
_QUARANTINE_ERROR = {
    "code": "SystemForCrossDomainIdentityManagementInvalidCredentials",
    "message": "Please provide a valid tenant URL for your application.",
    "tenantActionable": True,
}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _execution(rng: random.Random, began: datetime, state: str, error: dict | None) -> dict:
    """A `synchronizationTaskExecution` with plausible counts (zero for a failed run)."""
    imported = 0 if state == "Failed" else rng.randint(200, 900)
    escrowed = 0 if state != "EntryLevelErrors" else rng.randint(3, 40)
    exported = imported // rng.randint(3, 8)
    return {
        "activityIdentifier": new_guid(rng),
        "countEntitled": imported,
        "countEntitledForProvisioning": imported,
        "countEscrowed": escrowed,
        "countEscrowedRaw": escrowed,
        "countExported": exported,
        "countExports": exported + escrowed,
        "countImported": imported,
        "countImportedDeltas": imported // 4,
        "countImportedReferenceDeltas": imported // 10,
        "state": state,
        "timeBegan": _iso(began),
        "timeEnded": _iso(began + timedelta(seconds=rng.randint(1, 900))),
        "error": error,
    }


def to_job(rng: random.Random, app: App, job_id: str, state: str, observed: datetime) -> dict:
    """One `synchronizationJob` in `state` (`Active`, `Paused` or `Quarantine`) at `observed`."""
    last = observed - timedelta(minutes=rng.randint(1, 39))
    status = {"code": state, "countSuccessiveCompleteFailures": 0, "escrowsPruned": False}
    if state == "Quarantine":
        status.update(_quarantined(rng, last))
    else:
        ran = _execution(rng, last, rng.choice(("Succeeded", "EntryLevelErrors")), None)
        first = observed - timedelta(days=rng.randint(30, 400))
        status.update(
            lastExecution=ran,
            lastSuccessfulExecution=ran,
            lastSuccessfulExecutionWithExports=ran,
            progress=[],
            quarantine=None,
            steadyStateFirstAchievedTime=_iso(first),
            steadyStateLastAchievedTime=_iso(last),
            synchronizedEntryCountByType=_entry_counts(rng, app),
            troubleshootingUrl=None,
        )
    schedule_state = "Paused" if state == "Paused" else "Active"
    return {
        "id": job_id,
        "templateId": app.spec.template,
        "schedule": {"expiration": None, "interval": "PT40M", "state": schedule_state},
        "status": status,
        "synchronizationJobSettings": [dict(s) for s in _SETTINGS],
    }


def _quarantined(rng: random.Random, began: datetime) -> dict:
    """Status fields of a job quarantined for bad credentials, as in the AWS docs example.

    The series began 2 days 6 hours before the last run (3 quarantines in it); the current
    quarantine was re-evaluated after that run.
    """
    failed = _execution(rng, began, "Failed", dict(_QUARANTINE_ERROR))
    quarantine_began = began + timedelta(seconds=1)
    series_began = began - QUARANTINE_SERIES_AGE
    return {
        "countSuccessiveCompleteFailures": 1,
        "lastExecution": failed,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": {
            "currentBegan": _iso(quarantine_began),
            "nextAttempt": _iso(quarantine_began + timedelta(minutes=5)),
            "reason": "EncounteredQuarantineException",
            "seriesBegan": _iso(series_began),
            "seriesCount": 3,
            "error": dict(_QUARANTINE_ERROR),
        },
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": "",
    }


def _entry_counts(rng: random.Random, app: App) -> list[dict]:
    counts = [{"key": f"user to {app.spec.user_type.rsplit(':', 1)[-1]}",
               "value": rng.randint(150, 3000)}]  # fmt: skip
    if app.spec.group_type:
        counts.append({"key": "group to Group", "value": rng.randint(5, 60)})
    return counts


def generate_jobs(
    app_key: str, *, observed: datetime | None = None, seed: int = 0, version: str = "v1.0"
) -> dict:
    """The job list of one synthetic app's service principal, in Graph's response envelope.

    Each app's jobs are in the state of `JOB_STATES` (one healthy, one quarantined, one paused
    among the five apps).
    """
    app = build_world().app(app_key)
    rng = random.Random(f"{seed}:{app_key}")
    observed = observed or datetime(2026, 11, 20, 12, tzinfo=UTC)
    context = (
        f"https://graph.microsoft.com/{version}/$metadata#servicePrincipals"
        f"('{app.sp_id}')/synchronization/jobs"
    )
    jobs = [to_job(rng, app, job_id, JOB_STATES[app_key], observed) for job_id in app.job_ids]
    return {"@odata.context": context, "value": jobs}
