"""PowerShell output: Microsoft Graph SDK objects saved with `ConvertTo-Json` or `Export-Csv`.

`Get-MgAuditLogProvisioning` (and `Get-MgBetaAuditLogProvisioning`) return SDK model objects;
`ConvertTo-Json` writes their .NET property names (PascalCase: `ActivityDateTime`,
`ProvisioningStatusInfo.ErrorInformation.ErrorCode`), an `AdditionalProperties` dictionary on
every object (the Graph fields the model does not declare, in Graph's own spelling), step
details bags as `Details.AdditionalProperties`, and, in Windows PowerShell 5.1, dates as
`\\/Date(ms)\\/` (read by `times.parse_timestamp`). This module turns such a record back into
Graph's camelCase shape. What PowerShell could not write out (objects deeper than
`ConvertTo-Json -Depth`, every nested object in `Export-Csv`) appears as the object's .NET type
name, e.g. `Microsoft.Graph.PowerShell.Models.MicrosoftGraphProvisioningStatusInfo`; such a
record is refused with an `InputError` that says how to redo the export.
"""

from __future__ import annotations

import re
from typing import Any

from provlytics.errors import InputError

WRAPPER = "AdditionalProperties"  # the SDK's bag of undeclared Graph fields
_DETAILS = "Details"  # a `detailsInfo`: all of its content sits in its AdditionalProperties
# What PowerShell writes for an object it did not serialize: its type name (`ToString()`),
# or, for a PSCustomObject (after `Select-Object`), its `@{Name=value; ...}` form.
_TYPE_NAME = re.compile(
    r"Microsoft\.Graph\.PowerShell\.Models\.|System\.Collections\.|System\.Object\[\]"
    r"|@\{.*\}$",
    re.DOTALL,
)
# Keys whose Graph type is an object or a list of objects: only there can a string be a type
# name standing in for data (a modified property's value is any text the target system had).
_COMPLEX = frozenset(
    {
        "InitiatedBy", "ModifiedProperties", "ProvisioningStatusInfo", "StatusInfo",
        "ErrorInformation", "ProvisioningSteps", _DETAILS, "ServicePrincipal", "SourceIdentity",
        "SourceSystem", "TargetIdentity", "TargetSystem",
    }
)  # fmt: skip
REDO = (
    "PowerShell wrote the object's type name instead of its value: Export-Csv cannot save "
    "nested objects, and ConvertTo-Json stops at its -Depth (2 by default). Save the logs "
    "again with `Get-MgAuditLogProvisioning -All | ConvertTo-Json -Depth 10 | "
    "Out-File provisioning.json -Encoding utf8`"
)


def is_powershell(record: dict[str, Any]) -> bool:
    """Whether a record is a Graph SDK object as PowerShell writes it."""
    return "ActivityDateTime" in record or WRAPPER in record


def powershell_view(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The record in Graph's camelCase shape, and the input spelling of its top-level keys.

    Raises `InputError` (field as spelled in the input) where a value is a .NET type name.
    """
    spelled: dict[str, str] = {}
    view = _unwrap(record, "", spelled)
    return view, spelled


def respell(field: str) -> str:
    """A view path (`provisioningSteps[1].details`) as PowerShell spells it."""
    return re.sub(r"(^|\.)([a-z])", lambda m: m.group(1) + m.group(2).upper(), field)


def _unwrap(obj: dict[str, Any], path: str, spelled: dict[str, str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        here = f"{path}{key}"
        if key == WRAPPER:
            if type(value) is dict:  # Graph's own names: kept as they are
                for name, inner in value.items():
                    out.setdefault(name, inner)
            continue  # Export-Csv: the dictionary's type name; it holds nothing we read
        name = key[:1].lower() + key[1:] if type(key) is str else key
        if spelled is not None:
            spelled[name] = key
        complex_ = key in _COMPLEX
        if key == _DETAILS and type(value) is dict:
            out[name] = _details(value, here)
        else:
            out[name] = _value(value, here, complex_)
    return out


def _details(value: dict[str, Any], here: str) -> dict[str, Any]:
    """A details bag: the content of its AdditionalProperties, keys untouched."""
    bag = value.get(WRAPPER)
    if bag is not None and type(bag) is not dict:
        _check_text(bag, f"{here}.{WRAPPER}")
    merged = {k: v for k, v in value.items() if k != WRAPPER}
    merged.update(bag or {})
    return merged


def _value(value: Any, here: str, complex_: bool) -> Any:
    """A value in Graph's shape; `complex_`: Graph types it as an object or a list of them."""
    if type(value) is dict:
        return _unwrap(value, here + ".", None)
    if type(value) is list:
        return [_value(item, f"{here}[{i}]", complex_) for i, item in enumerate(value)]
    if complex_:
        _check_text(value, here)
    return value


def _check_text(value: Any, here: str) -> None:
    if type(value) is str and _TYPE_NAME.match(value):
        raise InputError(None, f"holds {value!r}, not the data. {REDO}", field=here)
