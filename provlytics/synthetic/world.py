"""The fixed cast of one synthetic tenant: its apps, jobs, users and groups.

Every dialect in the sample set describes the same organisation, so the cast is built once from
`WORLD_SEED` and only the events vary with the caller's seed.
"""

from __future__ import annotations

import hashlib
import logging
import random
import string
import uuid
from dataclasses import dataclass, replace
from functools import cache

from provlytics.letters import unaccented

logger = logging.getLogger(__name__)

WORLD_SEED = 2026
DOMAIN = "contoso.com"
ENTRA_NAME = "Microsoft Entra ID"
N_USERS = 320
N_CONFLICT_PAIRS = 12

# given and family names; their UPN local part is `_alias` of each: "Łukasz Brown" -> lukasz.brown
_FIRST = (
    "José", "Zoë", "Ana", "Liam", "Søren", "Chloé", "Mónica", "Oğuz", "Priya", "Kenji", "Fatima",
    "Łukasz", "Noah", "Emma", "Ingrid", "Dmitri", "Aoife", "Mateo", "Grace", "Björn",
)  # fmt: skip
_LAST = (
    "Müller", "Ødegaard", "García", "Smith", "Nguyễn", "O'Brien", "Kowalczyk", "Dubois", "Yılmaz",
    "Johansson", "Patel", "Tanaka", "Brown", "Schäfer", "Núñez", "Lefèvre",
)  # fmt: skip
# names in other scripts, with the Latin names and UPN local part their directory gives them
_WHOLE = (
    ("王秀英", "Xiuying", "Wang", "wang.xiuying"),
    ("Ἀθηνᾶ Παπαδοπούλου", "Ἀθηνᾶ", "Παπαδοπούλου", "athina.papadopoulou"),
    ("李伟", "Wei", "Li", "li.wei"),
    ("Анна Иванова", "Анна", "Иванова", "anna.ivanova"),
    ("محمد علي", "محمد", "علي", "mohamed.ali"),
    ("佐藤 花子", "花子", "佐藤", "hanako.sato"),
    ("김민준", "Minjun", "Kim", "minjun.kim"),
    ("Zoë Ødegaard", "Zoë", "Ødegaard", "zoe.odegaard"),
)
_GROUPS = (
    "All Staff", "Sales – EMEA", "Ventes — France", "Équipe Zürich", "開発チーム", "Finance",
    "Engineering", "Support Tier 2", "Marketing", "HR Business Partners", "Ομάδα Αθήνας",
    "Contractors", "Self-service Pilot", "ServiceNow Admins", "Slack Guests", "Data & Analytics",
    "Legal", "IT Operations", "Führungskräfte", "Проектная группа",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AppSpec:
    """What kind of application a provisioning job talks to."""

    key: str
    sp_name: str
    target_name: str
    template: str
    n_jobs: int
    weight: float
    user_type: str
    group_type: str | None
    id_style: str
    error_codes: tuple[str, ...]
    source_name: str = ENTRA_NAME
    inbound: bool = False


APP_SPECS = (
    AppSpec("salesforce", "Salesforce", "Salesforce", "salesforce", 1, 0.25, "User", None,
            "salesforce", ("SalesforceEntryConflict", "DuplicateTargetEntries",
                           "MandatoryFieldsMissing", "InvalidAnchor", "TooManyRequests")),
    AppSpec("servicenow", "ServiceNow", "ServiceNow", "serviceNowOutDelta", 1, 0.2, "User",
            "Group", "hex", ("EntryConflict", "DuplicateTargetEntries", "SchemaAttributeNotFound",
                             "TooManyRequests", "UnableToResolveReferenceAttributeValue")),
    AppSpec("slack", "Slack", "Slack", "slack", 1, 0.2,
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group", "slack",
            ("EntryConflict", "TooManyRequests", "InvalidAnchor",
             "UnableToResolveReferenceAttributeValue")),
    AppSpec("customappsso", "Contoso Expenses (SCIM)", "customappsso", "scim", 1, 0.15,
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group", "scim",
            ("SystemForCrossDomainIdentityManagementBadResponse", "SchemaAttributeNotFound",
             "EntryConflict", "InvalidAnchor", "UnableToResolveReferenceAttributeValue")),
    AppSpec("workday", "Workday to Active Directory User Provisioning", "Active Directory",
            "Workday2AD", 2, 0.2, "user", None, "guid",
            ("SystemForCrossDomainIdentityManagementBadResponse", "EntryConflict",
             "DuplicateTargetEntries", "MandatoryFieldsMissing",
             "UnableToResolveReferenceAttributeValue"), source_name="Workday", inbound=True),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class App:
    """One provisioning-enabled service principal with its jobs."""

    spec: AppSpec
    sp_id: str
    app_id: str
    target_system_id: str
    source_system_id: str
    job_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """A source user (an Entra user, or a Workday worker for inbound jobs)."""

    object_id: str
    display_name: str
    given: str
    family: str
    upn: str
    nickname: str
    worker_id: str


@dataclass(frozen=True, slots=True)
class Group:
    """A source group."""

    object_id: str
    display_name: str
    nickname: str


@dataclass(frozen=True, slots=True)
class World:
    """The tenant, its apps and the people and groups provisioned to them."""

    tenant_id: str
    apps: tuple[App, ...]
    users: tuple[Person, ...]
    groups: tuple[Group, ...]
    pairs: tuple[tuple[int, int], ...]
    target_ids: dict[tuple[str, str], str]

    def app(self, key: str) -> App:
        """The app whose spec key is `key`."""
        return next(a for a in self.apps if a.spec.key == key)


def new_guid(rng: random.Random) -> str:
    """A random version-4 GUID drawn from `rng` (deterministic for a seeded rng)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def derived_guid(*parts: object) -> str:
    """A GUID that depends only on `parts` (stable across runs and processes)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@cache
def build_world(seed: int = WORLD_SEED) -> World:
    """Build the cast of the synthetic tenant (cached: the same seed gives the same world)."""
    rng = random.Random(seed)
    tenant_id = new_guid(rng)
    apps = tuple(_build_app(rng, spec, tenant_id) for spec in APP_SPECS)
    users, pairs = _build_users(rng)
    groups = tuple(_build_group(rng, name) for name in _GROUPS)
    target_ids = {
        (app.spec.key, subject.object_id): _target_id(rng, app.spec.id_style, subject)
        for app in apps
        for subject in (*users, *groups)
    }
    logger.debug("built world %s: %d users, %d groups", tenant_id, len(users), len(groups))
    return World(tenant_id, apps, users, groups, pairs, target_ids)


def _build_app(rng: random.Random, spec: AppSpec, tenant_id: str) -> App:
    tenant_hex = tenant_id.replace("-", "")
    jobs = tuple(f"{spec.template}.{tenant_hex}.{new_guid(rng)}" for _ in range(spec.n_jobs))
    return App(spec, new_guid(rng), new_guid(rng), new_guid(rng), new_guid(rng), jobs)


def _build_users(rng: random.Random) -> tuple[tuple[Person, ...], tuple[tuple[int, int], ...]]:
    users = [
        _person(rng, display, given, family, local) for display, given, family, local in _WHOLE
    ]
    seen = {u.nickname for u in users}
    while len(users) < N_USERS - N_CONFLICT_PAIRS:
        given, family = rng.choice(_FIRST), rng.choice(_LAST)
        local = f"{_alias(given)}.{_alias(family)}"
        if local in seen:
            local = f"{local}{rng.randint(2, 99)}"
        if local not in seen:
            seen.add(local)
            users.append(_person(rng, f"{given} {family}", given, family, local))
    pairs = []
    for index in rng.sample(range(len(users)), N_CONFLICT_PAIRS):
        pairs.append((index, len(users)))
        users.append(_twin(rng, users[index]))
    return tuple(users), tuple(pairs)


def _person(rng: random.Random, display: str, given: str, family: str, local: str) -> Person:
    worker_id = str(rng.randint(10000, 99999))
    return Person(new_guid(rng), display, given, family, f"{local}@{DOMAIN}", local, worker_id)


def _twin(rng: random.Random, other: Person) -> Person:
    """A second source account of the same person as `other`, whose matching attributes
    collide with it (a conflict): the same names, told apart only by object id, UPN (in the
    `corp.` subdomain) and worker id."""
    worker_id = str(rng.randint(10000, 99999))
    upn = f"{other.nickname}@corp.{DOMAIN}"
    return replace(other, object_id=new_guid(rng), upn=upn, worker_id=worker_id)


def _alias(name: str) -> str:
    """`name` folded into the letters and digits of a mail alias: lower-cased, accents
    dropped (`letters.unaccented`: also Ł, Ø, ı, ß, Æ and the like as l, o, i, ss, ae),
    anything else left out: "Équipe Zürich" -> "equipezurich", "Yılmaz" -> "yilmaz";
    "" for a name in a script without Latin letters ("開発チーム")."""
    return "".join(c for c in unaccented(name).lower() if c.isascii() and c.isalnum())


def _build_group(rng: random.Random, name: str) -> Group:
    nickname = _alias(name) or "grp"
    return Group(new_guid(rng), name, f"{nickname}{rng.randint(100, 999)}")


def _target_id(rng: random.Random, style: str, subject: Person | Group) -> str:
    """An id as the target app would mint it (SCIM ids are often not GUIDs)."""
    if style == "salesforce":
        prefix = "00G" if isinstance(subject, Group) else "005"
        chars = string.ascii_letters + string.digits
        return prefix + "".join(rng.choices(chars, k=15))
    if style == "hex":
        return f"{rng.getrandbits(128):032x}"
    if style == "slack":
        prefix = "S" if isinstance(subject, Group) else "U"
        return prefix + "".join(rng.choices(string.ascii_uppercase + string.digits, k=10))
    if style == "scim":
        return "".join(rng.choices(string.ascii_lowercase + string.digits, k=14))
    return new_guid(rng)
