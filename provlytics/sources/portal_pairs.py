"""Which CSV file of a load is what, told by its header row: the portal download's main files
and their companions (paired), and other Entra downloads that hold no provisioning data.

The portal's "Download" gives `ProvisioningLogs.csv` and two companions whose names end in
`_ProvisioningSteps.csv` and `_ModifiedProperties.csv`; a browser saving the download again
numbers the copies (`ProvisioningLogs (1).csv`, `ProvisioningLogs_ProvisioningSteps (1).csv`).
A companion goes with the main file of its folder (or archive) whose name it extends, copy
number included; when a folder holds several main files of that name, with the one sharing
most of its change IDs (between equal shares, the one of its own copy number, then one that
has no companion of its kind yet). A main file named alone (not its folder) is read with the
companions beside it, as the folder would pair them.

The portal's audit-log and sign-in-log downloads are CSV files too, and so are Log Analytics'
exports of its `AuditLogs` and `SigninLogs` tables; they are told apart by their headers
(`ActorType`, `Target1Type`; `Request ID`, `Sign-in error code`; `ActivityDisplayName`,
`LoggedByService`; `AppDisplayName`, `ConditionalAccessStatus`, `ClientAppUsed`) and left out
of a load, with a warning, as `sources.files.file_tasks` says.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from provlytics.errors import InputError
from provlytics.origin import PORTAL_JOIN_COLUMN, fold_header
from provlytics.sources.portal_csv import Companions, change_ids
from provlytics.sources.reading import InputFile, data_suffix, display_path, open_text

logger = logging.getLogger(__name__)

MAIN, STEPS, PROPERTIES = "main", "steps", "properties"
AUDIT, SIGN_INS = "audit", "sign_ins"  # other Entra downloads: not provisioning data
FOREIGN = {AUDIT: "an Entra audit log export", SIGN_INS: "an Entra sign-in log export"}
_SUFFIXES = {STEPS: "_provisioningsteps", PROPERTIES: "_modifiedproperties"}
_COPY_NUMBER = re.compile(r"\s*\((\d+)\)$")  # "name (1)": a browser's second download
# columns of other CSV exports that also carry a change id: Log Analytics, PowerShell's Export-Csv
_NOT_PORTAL = frozenset(
    {"timegenerated", "aadtenantid", "additionalproperties", "provisioningstatusinfo"}
)
# the portal's download (`Request ID` and these), Log Analytics' `AuditLogs`, `SigninLogs`
_PORTAL_SIGN_IN = frozenset(
    {"signinerrorcode", "failurereason", "signinidentifier", "authenticationmethod", "clientapp"}
)
_LA_AUDIT = frozenset({"activitydisplayname", "loggedbyservice"})
_LA_SIGN_IN = frozenset({"conditionalaccessstatus", "clientappused", "appdisplayname"})
UNPAIRED = "a portal companion file without its ProvisioningLogs file"
_TELLING = frozenset(
    {"activity", "actortype", "target1type", "requestid", "signinerrorcode", "failurereason"}
    | _LA_AUDIT
    | _LA_SIGN_IN
)
SHOWN_HEADERS = 4  # that tell an export of other logs, named in messages


@dataclass
class CompanionGroups:
    """Which files are companions, the companions of each main file, and the portal mains;
    the companions that go with no main (`refused`) and the exports of other Entra logs
    (`foreign`: what each looks like, with the headers that tell it)."""

    companions: set[InputFile] = field(default_factory=set)
    by_main: dict[InputFile, Companions] = field(default_factory=dict)
    mains: set[InputFile] = field(default_factory=set)
    refused: dict[InputFile, InputError] = field(default_factory=dict)  # unpaired companions
    foreign: dict[InputFile, str] = field(default_factory=dict)

    def of(self, main: InputFile) -> Companions:
        """(steps file, properties file) of a main file; (None, None) if it has none."""
        return self.by_main.get(main, (None, None))


def group_companions(files: list[InputFile]) -> CompanionGroups:
    """Tell portal main files, companions and other Entra exports apart by their headers,
    and pair the companions with their main files; a main file on disk whose companions are
    not among `files` gets those beside it (in its folder; they are not inputs of their own).

    A companion with no main file to go with, or a second one of its kind for one main, is
    put in `refused` with the `InputError` its reading raises (or collect mode sets aside).
    """
    sniffed = {f: _sniff(f) for f in files if data_suffix(f) == ".csv"}
    roles = {f: role for f, (role, _headers) in sniffed.items()}
    groups = _pair(roles, advise=True)
    for file, (role, headers) in sniffed.items():
        if role in FOREIGN:
            groups.foreign[file] = f"looks like {FOREIGN[role]} (headers {_telling(headers)})"
    _add_beside(groups, roles)
    return groups


def read_order(files: Sequence[InputFile], groups: CompanionGroups) -> list[InputFile]:
    """`files` with the portal main files of each folder reordered, those with fewer
    companions first: of two copies of one download, the complete one is read last, so its
    events (the last copy of an event wins) keep their steps and properties."""
    ordered = list(files)
    spots: dict[tuple[str, str], list[int]] = {}
    for index, file in enumerate(ordered):
        if file in groups.mains:
            spots.setdefault(_folder(file), []).append(index)
    for indexes in spots.values():
        mains = [ordered[i] for i in indexes]
        mains.sort(key=lambda m: sum(c is not None for c in groups.of(m)))
        for index, main in zip(indexes, mains, strict=True):
            ordered[index] = main
    return ordered


def _pair(roles: dict[InputFile, str | None], *, advise: bool = False) -> CompanionGroups:
    """The companions of `roles` paired with its main files; `advise`: a refused companion's
    error says which file beside it to load instead."""
    groups = CompanionGroups(mains={f for f, role in roles.items() if role == MAIN})
    for companion, role in sorted(roles.items(), key=lambda item: _copy(item[0]) is not None):
        if role not in _SUFFIXES:
            continue
        taken = {m for m, pair in groups.by_main.items() if pair[role == PROPERTIES]}
        try:
            main = _main_of(companion, role, groups.mains, taken)
        except LookupError:
            reason = _unpaired(companion) if advise else UNPAIRED
            groups.refused[companion] = InputError(companion.name, reason)
            continue
        steps, props = groups.of(main)
        other = steps if role == STEPS else props
        if other is not None:
            reason = f"a second {role} file for {main.name} ({other})"
            groups.refused[companion] = InputError(companion.name, reason)
            continue
        groups.by_main[main] = (companion, props) if role == STEPS else (steps, companion)
        groups.companions.add(companion)
    return groups


def _add_beside(groups: CompanionGroups, roles: dict[InputFile, str | None]) -> None:
    """Fill the missing companions of the main files on disk with the files beside them
    that the folder's pairing gives them (none that is an input or already taken); `roles`:
    those of the inputs."""
    inputs = set(roles)
    lacking = [m for m in groups.mains if m.member is None and None in groups.of(m)]
    for folder in sorted({m.path.parent for m in lacking}, key=str):
        siblings = _csv_files(folder)
        if set(siblings) <= inputs:
            continue
        around = _pair({f: roles[f] if f in roles else _sniff(f)[0] for f in siblings})
        for main in (m for m in lacking if m.path.parent == folder):
            found = [
                mine or (f if f is not None and f not in inputs | groups.companions else None)
                for mine, f in zip(groups.of(main), around.of(main), strict=True)
            ]
            added = [f for f in found if f is not None and f not in groups.of(main)]
            if added:
                groups.by_main[main] = (found[0], found[1])
                groups.companions.update(added)
                shown = ", ".join(f.file_name for f in added)
                logger.info("%s: read with %s, found beside it", main, shown)


def _csv_files(folder: Path) -> list[InputFile]:
    try:
        paths = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    return [InputFile.at(p) for p in paths if data_suffix(p) == ".csv" and p.is_file()]


def _sniff(file: InputFile) -> tuple[str | None, list[str]]:
    """The role of a CSV file (MAIN, STEPS, PROPERTIES, AUDIT, SIGN_INS; None for any other,
    a Log Analytics export, say, or one whose header cannot be read: reading it reports why),
    and its headers; only the header row is read."""
    try:
        with open_text(file) as handle:
            headers = next(csv.reader(handle), [])
    except (csv.Error, UnicodeDecodeError, InputError):
        return None, []
    return _role(headers), headers


def _role(headers: Iterable[str]) -> str | None:
    columns = {fold_header(h) for h in headers}
    if PORTAL_JOIN_COLUMN in columns:
        if "stepnumber" in columns:
            return STEPS
        if columns & {"oldvalue", "newvalue"}:
            return PROPERTIES
        return None if columns & _NOT_PORTAL else MAIN
    portal_audit = "actortype" in columns and any(c.startswith("target1") for c in columns)
    if portal_audit or columns >= _LA_AUDIT:
        return AUDIT
    if ("requestid" in columns and columns & _PORTAL_SIGN_IN) or columns >= _LA_SIGN_IN:
        return SIGN_INS
    return None


def _telling(headers: list[str]) -> str:
    """The headers that tell an export of other Entra logs, as the file spells them."""
    told = [h.strip() for h in headers if fold_header(h) in _TELLING]
    return ", ".join(told[:SHOWN_HEADERS]) + (", ..." if len(told) > SHOWN_HEADERS else "")


def _main_of(
    companion: InputFile, role: str, mains: set[InputFile], taken: set[InputFile]
) -> InputFile:
    """The main file a companion belongs to: by name in its folder, else by change IDs
    (between equal shares, the one of the companion's copy number, then one that has no
    companion of this kind yet: the same download saved twice pairs up twice).

    Raises:
        LookupError: no main file shares a change ID with it.
    """
    near = [m for m in mains if _folder(m) == _folder(companion)]
    base = _stem(companion).removesuffix(_SUFFIXES[role])
    by_name = [m for m in near if _stem(m) == base]
    if len(by_name) == 1:
        return by_name[0]
    candidates = near or list(mains)
    if candidates:
        ids = change_ids(companion)
        overlap = {m: len(ids & change_ids(m)) for m in sorted(candidates, key=str)}
        own = (base, _copy(companion))

        def rank(main: InputFile) -> tuple[int, bool, bool]:
            return overlap[main], (_stem(main), _copy(main)) == own, main not in taken

        best = max(overlap, key=rank)
        if overlap[best]:
            return best
    raise LookupError(companion.name)


def _unpaired(companion: InputFile) -> str:
    """Why a companion is refused, and what to load instead (the main files beside it: the
    one it extends, copy number included, first; then those of its name)."""
    reason = UNPAIRED
    if companion.member is not None:
        return reason
    beside = [f for f in _csv_files(companion.path.parent) if _sniff(f)[0] == MAIN]
    base = _stem(companion)
    for suffix in _SUFFIXES.values():
        base = base.removesuffix(suffix)
    own = (base, _copy(companion))
    beside.sort(key=lambda f: ((_stem(f), _copy(f)) != own, _stem(f) != base))
    if not beside:
        return f"{reason}: load it with the ProvisioningLogs file of its download"
    shown = " or ".join(display_path(f.path) for f in beside[:3])
    return f"{reason}: load {shown} (its companions beside it are read with it) or the folder"


def _folder(file: InputFile) -> tuple[str, str]:
    if file.member is None:
        return (str(file.path.parent), "")
    return (str(file.path), str(file.member).rpartition("/")[0])


def _bare_name(file: InputFile) -> str:
    return file.file_name.lower().removesuffix(".gz").removesuffix(".csv")


def _copy(file: InputFile) -> int | None:
    """The number a browser gave a copy (`name (1).csv`: 1), None for the first download."""
    found = _COPY_NUMBER.search(_bare_name(file))
    return int(found.group(1)) if found else None


def _stem(file: InputFile) -> str:
    """Lower-case name without `.csv(.gz)` and a browser's ` (n)`, for pairing companions."""
    return _COPY_NUMBER.sub("", _bare_name(file))
