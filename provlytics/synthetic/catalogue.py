"""What can happen to a synthetic event: error codes, skip reasons and the event plan."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from provlytics.synthetic.world import App, Group, Person


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One documented error code and how it shows up in a record.

    `step` is the `provisioningStepType` of the step that fails; the templates take `$app`,
    `$kind`, `$name`, `$other`, `$target_id` and `$attr`.
    """

    code: str
    category: str
    step: str
    actions: tuple[str, ...]
    reason: str
    recommended: str | None = None
    details: str | None = None

    def render(self, template: str | None, **values: str) -> str | None:
        """Fill one of this spec's templates."""
        return None if template is None else Template(template).safe_substitute(values)


_CONFLICT_REASON = (
    "Message: $app returned an error response with the HTTP status code 409.  This response "
    "indicates that a user or a group already exists with the same name. This can be avoided "
    "by identifying and removing the conflicting $kind from $app via the $app administrative "
    "user interface, or removing the current $kind from the scope of provisioning either by "
    "removing their assignment to the $app application in Microsoft Entra ID or adding a "
    "scoping filter to exclude the $kind."
)
_CONFLICT_DETAILS = "The $kind '$name' conflicts with '$other' (target id '$target_id')."
_SCIM_BAD_RESPONSE = (
    "Message: The SCIM endpoint is not fully compatible with the Microsoft Entra SCIM client. "
    "Please refer to the Microsoft Entra SCIM documentation and manually test the SCIM endpoint "
    "to ensure it is compliant with the SCIM RFC.\nWeb Response: "
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400",'
    '"scimType":"invalidValue","detail":"Attribute \'$attr\' is required"}'
)
_AD_BAD_RESPONSE = (
    "Error: ConstraintViolation-AtrErr: DSID-03200BBA, #1:\n\t0: 00002082: DSID-03200BBA, "
    "problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 90001 ($attr)\n"
)

_SPECS = (
    ErrorSpec("EntryConflict", "nonServiceFailure", "export", ("create",), _CONFLICT_REASON,
              details=_CONFLICT_DETAILS),
    ErrorSpec("DuplicateTargetEntries", "failure", "matching", ("create", "update"),
              "The operation failed because more than one $kind in $app matched the matching "
              "attribute value '$attr'. Remove the duplicate entries from $app or use a "
              "matching attribute that is unique.",
              "Remove the duplicate entries from the target system.", _CONFLICT_DETAILS),
    ErrorSpec("SystemForCrossDomainIdentityManagementBadResponse", "nonServiceFailure",
              "export", ("create", "update"), _SCIM_BAD_RESPONSE),
    ErrorSpec("InvalidAnchor", "failure", "export", ("update", "disable"),
              "The $kind '$name' was previously created or matched in $app (id '$target_id'), "
              "but that object no longer exists.",
              "Restart the provisioning job to force a re-match of all objects."),
    ErrorSpec("SchemaAttributeNotFound", "failure", "export", ("create", "update"),
              "The attribute '$attr' does not exist in the $app schema.",
              "Remove the attribute from the attribute mappings or add it to the target schema."),
    ErrorSpec("MandatoryFieldsMissing", "failure", "export", ("create",),
              "The $kind '$name' could not be created in $app because the mandatory attribute "
              "'$attr' has no value.",
              "Populate the attribute in the source system or map a default value."),
    ErrorSpec("TooManyRequests", "nonServiceFailure", "export", ("create", "update", "delete"),
              "$app returned an error response with the HTTP status code 429 (Too Many "
              "Requests). The operation will be retried in the next cycle.",
              details="Retry-After: 60"),
    ErrorSpec("UnableToResolveReferenceAttributeValue", "failure", "referenceResolution",
              ("update", "create"),
              "Failed to resolve the reference attribute '$attr' of $kind '$name': the "
              "referenced object has not been provisioned to $app yet. The reference will be "
              "retried in a later cycle."),
)  # fmt: skip

ERRORS: dict[str, ErrorSpec] = {spec.code: spec for spec in _SPECS}
ERRORS["SalesforceEntryConflict"] = ErrorSpec(
    "SalesforceEntryConflict", "nonServiceFailure", "export", ("create",),
    _CONFLICT_REASON, details=_CONFLICT_DETAILS,
)  # fmt: skip
ERRORS["ADBadResponse"] = ErrorSpec(
    "SystemForCrossDomainIdentityManagementBadResponse", "nonServiceFailure", "export",
    ("create", "update"), _AD_BAD_RESPONSE,
)  # fmt: skip

ERROR_CODES = frozenset(spec.code for spec in ERRORS.values())
CONFLICT_CODES = frozenset({"EntryConflict", "SalesforceEntryConflict", "DuplicateTargetEntries"})
SKIP_REASONS = ("NotEffectivelyEntitled", "RedundantExport", "AttributeValidationFailed")

# Which attribute an error or skip names, per app key (first entry for users, second for groups).
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "salesforce": ("LastName", "Name"),
    "servicenow": ("u_cost_center", "members"),
    "slack": ("userName", "members"),
    "customappsso": ('emails[type eq "work"].value', "members"),
    "workday": ("company", "manager"),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything decided about one event before its record is written."""

    app: App
    job_id: str
    subject: Person | Group
    action: str
    status: str
    error: ErrorSpec | None = None
    skip_reason: str | None = None
    target_id: str = ""
    other: Person | None = None

    @property
    def kind(self) -> str:
        """`User` or `Group`."""
        return "Group" if isinstance(self.subject, Group) else "User"

    @property
    def reportable(self) -> str:
        """The identifier the service reports for the subject (UPN or group name)."""
        subject = self.subject
        return subject.upn if isinstance(subject, Person) else subject.display_name

    @property
    def attr(self) -> str:
        """The attribute this event's error or skip is about."""
        user_attr, group_attr = ATTRIBUTES[self.app.spec.key]
        if self.error is not None and self.error.step == "referenceResolution":
            return group_attr if self.kind == "Group" else "manager"
        return group_attr if self.kind == "Group" else user_attr
