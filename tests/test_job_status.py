"""job_status against Graph's CSDL (`synchronizationStatus` and the types it holds, v1.0 and
beta): every column from its field, enum members from any spelling or integer, optional
fields optional, and a field of an unexpected shape kept in `extra` instead of costing the job."""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import payloads as p
import pytest

import provlytics as pv
from provlytics.errors import InputError
from provlytics.normalize.jobs import (
    QUARANTINE_REASON,
    SCHEDULE_STATE,
    STATUS_CODE,
    TASK_EXECUTION_RESULT,
    build_job_batch,
    is_job,
)
from provlytics.origin import Origin
from provlytics.schema import SCHEMAS

OBSERVED = datetime(2021, 5, 24, 22, 0, tzinfo=UTC)
JOB_ID = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def row_of(job: Any, sp_id: str | None = None) -> dict[str, Any]:
    batch = build_job_batch(
        [job], observed_time=OBSERVED, service_principal_id=sp_id, origin=Origin("jobs.json")
    )
    assert batch.schema == SCHEMAS["job_status"]
    return batch.to_pylist()[0]


def full_job() -> dict[str, Any]:
    """The quarantined AWS job with every CSDL field of synchronizationStatus given a value."""
    job = p.job_quarantined_aws()
    job["schedule"]["expiration"] = "2030-01-01T00:00:00Z"
    status = job["status"]
    status["escrowsPruned"] = True
    status["troubleshootingUrl"] = "https://aka.ms/example-troubleshooting"
    status["steadyStateFirstAchievedTime"] = "2021-05-01T08:00:00Z"
    status["steadyStateLastAchievedTime"] = "2021-05-23T08:00:00Z"
    status["progress"] = [
        {
            "completedUnits": 40,
            "totalUnits": 100,
            "units": "Users",
            "progressObservationDateTime": "2021-05-24T21:45:00Z",
        }
    ]
    status["synchronizedEntryCountByType"] = [
        {"key": "user to user", "value": 1200},
        {"key": "group to group", "value": 7},
    ]
    last = status["lastExecution"]
    last.update(
        countEntitled=11,
        countEntitledForProvisioning=10,
        countEscrowed=3,
        countEscrowedRaw=4,
        countExported=5,
        countExports=6,
        countImported=12,
        countImportedDeltas=2,
        countImportedReferenceDeltas=1,
    )
    status["lastSuccessfulExecution"] = {"timeEnded": "2021-05-20T10:00:00Z"}
    status["lastSuccessfulExecutionWithExports"] = {"timeEnded": "2021-05-19T10:00:00Z"}
    quarantine = status["quarantine"]
    quarantine["seriesBegan"] = "2021-05-21T09:00:00Z"
    quarantine["seriesCount"] = 4
    quarantine["error"] = {"code": "QuarantineOwnCode", "message": "own", "tenantActionable": False}
    return job


def test_every_csdl_field_has_its_column():
    row = row_of(full_job(), p.AWS_SERVICE_PRINCIPAL_ID)
    assert row == {
        "observed_time": OBSERVED,
        "service_principal_id": p.AWS_SERVICE_PRINCIPAL_ID,
        "job_id": JOB_ID,
        "template_id": "aWSSingleSignon",
        "schedule_state": "Active",
        "schedule_interval": "PT40M",
        "schedule_expiration": at(2030, 1, 1),
        "status_code": "Quarantine",
        "successive_failures": 1,
        "escrows_pruned": True,
        "quarantine_reason": "EncounteredQuarantineException",
        "quarantine_series_began": at(2021, 5, 21, 9),
        "quarantine_current_began": at(2021, 5, 24, 21, 45, 54, 498136),
        "quarantine_next_attempt": at(2021, 5, 24, 21, 50, 54, 498136),
        "quarantine_series_count": 4,
        "quarantine_error_code": "QuarantineOwnCode",
        "quarantine_error_message": "own",
        "quarantine_error_tenant_actionable": False,
        "last_execution_state": "Failed",
        "last_execution_began": at(2021, 5, 24, 21, 45, 53, 633052),
        "last_execution_ended": at(2021, 5, 24, 21, 45, 54, 558127),
        "last_error_code": "SystemForCrossDomainIdentityManagementInvalidCredentials",
        "last_error_message": "Please provide a valid tenant URL for your application.",
        "last_error_tenant_actionable": True,
        "count_imported": 12,
        "count_exported": 5,
        "count_exports": 6,
        "count_escrowed": 3,
        "count_escrowed_raw": 4,
        "count_entitled": 11,
        "count_entitled_for_provisioning": 10,
        "count_imported_deltas": 2,
        "count_imported_reference_deltas": 1,
        "last_successful_execution": at(2021, 5, 20, 10),
        "last_successful_execution_with_exports": at(2021, 5, 19, 10),
        "steady_state_first_achieved": at(2021, 5, 1, 8),
        "steady_state_last_achieved": at(2021, 5, 23, 8),
        "troubleshooting_url": "https://aka.ms/example-troubleshooting",
        "progress": json.dumps(
            [
                {
                    "completedUnits": 40,
                    "totalUnits": 100,
                    "units": "Users",
                    "progressObservationDateTime": "2021-05-24T21:45:00Z",
                }
            ],
            separators=(",", ":"),
        ),
        "synchronized_entry_count_by_type": '{"user to user":1200,"group to group":7}',
        "extra": json.dumps(
            {
                "status.lastExecution.activityIdentifier": "c3173f7b-9e67-4759-828c-cb499967be57",
                "synchronizationJobSettings": [
                    {"name": "AzureIngestionAttributeOptimization", "value": "False"}
                ],
            },
            separators=(",", ":"),
        ),
    }


def test_quarantine_error_is_kept_apart_from_the_last_runs():
    job = p.job_quarantined_aws()
    job["status"]["lastExecution"]["error"] = None
    job["status"]["quarantine"]["error"]["code"] = "SalesforceInvalidCredentials"
    row = row_of(job)
    assert (row["last_error_code"], row["last_error_message"]) == (None, None)
    assert row["quarantine_error_code"] == "SalesforceInvalidCredentials"


def test_never_times_and_a_new_job_give_nulls():
    row = row_of(p.job_created_aws())
    assert (row["status_code"], row["schedule_state"], row["successive_failures"]) == (
        "Paused",
        "Disabled",
        0,
    )
    nulls = [
        "quarantine_reason",
        "quarantine_series_began",
        "quarantine_current_began",
        "last_execution_state",
        "last_execution_began",
        "last_error_code",
        "last_error_tenant_actionable",
        "count_imported",
        "steady_state_first_achieved",  # "0001-01-01T00:00:00Z" means never
        "steady_state_last_achieved",
        "progress",
        "synchronized_entry_count_by_type",
        "troubleshooting_url",
    ]
    assert {k: row[k] for k in nulls} == dict.fromkeys(nulls)


def test_empty_string_fields_give_nulls():
    job = p.job_quarantined_aws()
    job["status"]["quarantine"].update(currentBegan="", reason="", nextAttempt="", seriesCount="")
    row = row_of(job)
    cleared = ["quarantine_current_began", "quarantine_reason", "quarantine_next_attempt"]
    assert [row[c] for c in [*cleared, "quarantine_series_count"]] == [None] * 4
    assert row["extra"] is not None and "quarantine" not in row["extra"]


@pytest.mark.parametrize(
    ("field", "spelling", "member"),
    [
        ("code", "quarantine", "Quarantine"),
        ("code", "QUARANTINE", "Quarantine"),
        ("code", 4, "Quarantine"),
        ("code", "4", "Quarantine"),
        ("code", "not_run", "NotRun"),
        ("code", 0, "NotConfigured"),
        ("reason", "encounteredQuarantineException", "EncounteredQuarantineException"),
        (
            "reason",
            "Encountered Escrow Proportion Threshold",
            "EncounteredEscrowProportionThreshold",
        ),
        ("reason", 2, "EncounteredEscrowProportionThreshold"),
        ("reason", 0, "EncounteredBaseEscrowThreshold"),
        ("reason", 1, "EncounteredTotalEscrowThreshold"),
        ("reason", 8, "Unknown"),
        ("reason", 16, "QuarantinedOnDemand"),
        ("reason", "toomanydeletes", "TooManyDeletes"),
        ("reason", 64, "IngestionInterrupted"),
        ("state", "entrylevelerrors", "EntryLevelErrors"),
        ("state", 0, "Succeeded"),
        ("state", "1", "Failed"),
        ("schedule", "disabled", "Disabled"),
        ("schedule", 2, "Paused"),
        ("schedule", "ACTIVE", "Active"),
    ],
)
def test_enums_normalise_to_csdl_members(field, spelling, member):
    job = p.job_quarantined_aws()
    place, column = {
        "code": (job["status"], "status_code"),
        "reason": (job["status"]["quarantine"], "quarantine_reason"),
        "state": (job["status"]["lastExecution"], "last_execution_state"),
        "schedule": (job["schedule"], "schedule_state"),
    }[field]
    place["state" if field in ("state", "schedule") else field] = spelling
    assert row_of(job)[column] == member


def test_enum_tables_hold_the_csdl_members():
    assert STATUS_CODE.members == ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
    assert SCHEDULE_STATE.members == ("Active", "Disabled", "Paused")
    assert TASK_EXECUTION_RESULT.members == ("Succeeded", "Failed", "EntryLevelErrors")
    assert len(QUARANTINE_REASON.members) == 8
    assert QUARANTINE_REASON.member(32) == "TooManyDeletes"
    assert QUARANTINE_REASON.member("SomeFutureReason") == "SomeFutureReason"  # kept as written


def test_a_job_saved_with_select_loads_with_nulls():
    row = row_of({"id": "scim.1", "templateId": "scim"})
    assert (row["job_id"], row["template_id"]) == ("scim.1", "scim")
    assert row["status_code"] is None and row["schedule_state"] is None and row["extra"] is None


def test_a_field_of_an_unexpected_shape_costs_that_field_only(caplog):
    job = p.job_quarantined_aws()
    job["status"]["quarantine"]["seriesCount"] = "many"
    job["status"]["quarantine"]["nextAttempt"] = "next week"
    job["status"]["code"] = 99
    job["status"]["lastExecution"]["error"] = "boom"
    job["status"]["synchronizedEntryCountByType"] = {"user": 3}
    with caplog.at_level(logging.WARNING, logger="provlytics.normalize.jobs"):
        row = row_of(job)
    assert row["job_id"] == JOB_ID and row["quarantine_reason"] == "EncounteredQuarantineException"
    empty = ["quarantine_series_count", "quarantine_next_attempt", "status_code", "last_error_code"]
    assert [row[c] for c in empty] == [None] * 4
    assert row["synchronized_entry_count_by_type"] is None
    extra = json.loads(row["extra"])
    assert extra["status.quarantine.seriesCount"] == "many"
    assert extra["status.quarantine.nextAttempt"] == "next week"
    assert extra["status.code"] == 99
    assert extra["status.lastExecution.error"] == "boom"
    assert extra["status.synchronizedEntryCountByType"] == {"user": 3}
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 5
    assert all(m.startswith("jobs.json: record 1: job field status.") for m in warned)


def test_a_quarantine_that_is_not_an_object_goes_to_extra():
    job = p.job_quarantined_aws()
    job["status"]["quarantine"] = "Quarantined"
    row = row_of(job)
    assert row["quarantine_reason"] is None and row["quarantine_series_began"] is None
    assert json.loads(row["extra"])["status.quarantine"] == "Quarantined"


def test_powershell_keys_and_dates():
    """Get-MgServicePrincipalSynchronizationJob | ConvertTo-Json (Windows PowerShell 5.1)."""
    job = {
        "Id": "scim.2",
        "TemplateId": "scim",
        "Schedule": {"Interval": "PT40M", "State": 0},
        "Status": {
            "Code": 4,
            "Quarantine": {"Reason": 4, "SeriesBegan": "\\/Date(1621849554498)\\/"},
        },
    }
    assert is_job(job)
    row = row_of(job)
    assert (row["job_id"], row["status_code"], row["schedule_state"]) == (
        "scim.2",
        "Quarantine",
        "Active",
    )
    assert row["quarantine_reason"] == "EncounteredQuarantineException"
    assert row["quarantine_series_began"] == at(2021, 5, 24, 9, 45, 54, 498000)


def test_entry_counts_of_one_type_add_up():
    job = p.job_created_aws()
    job["status"]["synchronizedEntryCountByType"] = [
        {"key": "user to user", "value": 2},
        {"key": "user to user", "value": "3"},
    ]
    assert row_of(job)["synchronized_entry_count_by_type"] == '{"user to user":5}'


def test_a_job_that_is_not_an_object_is_refused():
    with pytest.raises(InputError, match=r"jobs.json: record 2: expected a job object, got a list"):
        build_job_batch(
            [p.job_created_aws(), []],
            observed_time=OBSERVED,
            service_principal_id=None,
            origin=Origin("jobs.json"),
        )


def test_a_job_list_file_with_a_count_beyond_int64_loads_with_a_warning(tmp_path, caplog):
    job = p.job_quarantined_aws()
    job["status"]["lastExecution"]["countImported"] = 2**64 - 1
    path = p.write_json(tmp_path / "jobs.json", p.job_list(job))
    with caplog.at_level(logging.WARNING, logger="provlytics.normalize.jobs"):
        row = pv.load(path).table("job_status").to_pylist()[0]
    assert row["count_imported"] is None and row["count_exported"] == 0
    assert json.loads(row["extra"])["status.lastExecution.countImported"] == 2**64 - 1
    (message,) = [r.getMessage() for r in caplog.records]
    assert "jobs.json: record 1: job field status.lastExecution.countImported" in message


def test_a_saved_job_list_is_observed_at_its_status_times_not_the_files(tmp_path):
    source = sorted(Path("data/samples/jobs").glob("*.json"))[0]
    first, second = tmp_path / "a" / source.name, tmp_path / "b" / source.name
    for copy, mtime in ((first, 1_700_000_000), (second, 1_800_000_000)):
        copy.parent.mkdir()
        shutil.copy(source, copy)
        os.utime(copy, (mtime, mtime))
    out = tmp_path / "dataset"
    pv.load(first).to_parquet(out)
    again = pv.load(second)
    again.to_parquet(out)
    stored = pv.read_parquet(out).job_status
    assert len(stored) == len(again.job_status)  # the copy added no snapshot
    times = stored["observed_time"]
    assert (times.dt.year == 2026).all()  # from the status, not 2023's or 2027's file times
