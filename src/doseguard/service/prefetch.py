"""Prefetch: what the loaded rules read of the patient (the discovery templates), the keys a request
left out fetched from its FHIR server, and each value read into the resources the FHIR reader takes,
or said to be unusable (an OperationOutcome, a page of many, a value that is not a resource).

Nothing is silently dropped: a key the rules need and the request lacks is fetched or the request is
refused (412, as CDS Hooks 2.0 requires); a value that cannot be used is a :class:`Unusable`, which
becomes a "not checked against ..." card."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from doseguard.errors import PrefetchMissing
from doseguard.io.fhir.bundle import CONTEXT_TYPES
from doseguard.io.json_text import problems_in
from doseguard.patients.model import HistoryKind
from doseguard.rules.model import RuleSet

PATIENT_TOKEN = "{{context.patientId}}"
MAX_PAGES = 5  # pages of a search followed when the service fetches it itself


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template: the FHIR query, what it gives in words (for cards), and the kind of
    patient data it holds (when the reader counts that kind only where some is present)."""

    query: str
    what: str
    kind: HistoryKind | None = None


KEYS: dict[str, PrefetchKey] = {
    "patient": PrefetchKey(f"Patient/{PATIENT_TOKEN}", "the patient's age and sex"),
    "allergies": PrefetchKey(f"AllergyIntolerance?patient={PATIENT_TOKEN}", "allergies"),
    "conditions": PrefetchKey(f"Condition?patient={PATIENT_TOKEN}", "conditions"),
    "vitals": PrefetchKey(
        f"Observation?patient={PATIENT_TOKEN}&category=vital-signs&_sort=-date&_count=100",
        "weight and height",
    ),
    "labs": PrefetchKey(
        f"Observation?patient={PATIENT_TOKEN}&category=laboratory&_sort=-date&_count=200",
        "recent lab results and renal function",
        HistoryKind.LABS,
    ),
    "administrations": PrefetchKey(
        f"MedicationAdministration?patient={PATIENT_TOKEN}&_sort=-effective-time&_count=200",
        "doses given (the MAR)",
        HistoryKind.ADMINISTRATIONS,
    ),
    "medications": PrefetchKey(
        f"MedicationRequest?patient={PATIENT_TOKEN}&status=active",
        "the patient's active medication orders",
        HistoryKind.ORDERS,
    ),
    "pregnancy": PrefetchKey(
        f"Observation?patient={PATIENT_TOKEN}&code=http://loinc.org|82810-3,http://loinc.org|11449-6"
        "&_sort=-date&_count=10",  # the latest that is not entered in error
        "pregnancy status",
    ),
}
FIELD_KEYS = {
    "age_years": "patient", "birth_date": "patient", "sex": "patient",
    "weight_kg": "vitals", "height_cm": "vitals", "body_surface_area_m2": "vitals",
    "dose_mg_per_kg": "vitals", "dose_units_per_kg": "vitals", "dose_mg_per_m2": "vitals",
    "creatinine_clearance_ml_min": "labs", "egfr": "labs", "pregnant": "pregnancy",
}  # fmt: skip
"""Patient fields by the prefetch key that holds them (allergies and conditions by name, below)."""
AGGREGATE_KEYS = {
    HistoryKind.LABS: "labs",
    HistoryKind.ADMINISTRATIONS: "administrations",
    HistoryKind.ORDERS: "medications",
}
ORDER_TYPE = "MedicationRequest"


def needed_keys(rules: RuleSet) -> list[str]:
    """The prefetch keys the loaded rules read, in :data:`KEYS` order."""
    wanted: set[str] = set()
    aggregates = rules.aggregates
    for name in set().union(*(rule.fields_read for rule in rules.rules)):
        if name in FIELD_KEYS:
            wanted.add(FIELD_KEYS[name])
        elif "allerg" in name:
            wanted.add("allergies")
        elif "condition" in name:
            wanted.add("conditions")
        elif name in aggregates and aggregates[name].kind in AGGREGATE_KEYS:
            wanted.add(AGGREGATE_KEYS[aggregates[name].kind])
    return [key for key in KEYS if key in wanted]


def templates(keys: Iterable[str]) -> dict[str, str]:
    """The discovery document's ``prefetch``: key → query."""
    return {key: KEYS[key].query for key in keys}


@dataclass(frozen=True)
class Unusable:
    """A prefetch value that could not be used: the key, what it holds in words, and why."""

    key: str
    what: str
    reason: str


@dataclass
class PatientData:
    """What the prefetch gave: the context resources (by the reader's types, once each), the patient's
    active orders (context, never checked), the kinds of patient data it held, and what could not be
    used."""

    resources: list[Mapping[str, Any]] = field(default_factory=list)
    orders: list[Mapping[str, Any]] = field(default_factory=list)
    kinds: set[HistoryKind] = field(default_factory=set)
    unusable: list[Unusable] = field(default_factory=list)


def fetch_refusal(fhir_server: str | None) -> str | None:
    """Why the service will not fetch from ``fhir_server`` (None: it will): only https, or plain
    http to this machine (a token must not travel in clear over a network)."""
    if fhir_server is None:
        return "the request names no fhirServer to fetch it from"
    parts = urlsplit(fhir_server)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    return f"fhirServer {fhir_server!r} is not https (plain http only to this machine)"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def complete(
    prefetch: Mapping[str, Any],
    keys: Iterable[str],
    *,
    patient_id: str,
    fhir_server: str | None,
    access_token: str | None,
    timeout: float,
    max_bytes: int,
) -> dict[str, Any]:
    """The prefetch with every needed key: as sent, or fetched (absent or null). A fetch that fails
    gives an :class:`Unusable` for that key; raises :class:`PrefetchMissing` when keys are missing
    and cannot be fetched."""
    needed = list(keys)
    values = {key: prefetch[key] for key in needed if prefetch.get(key) is not None}
    missing = [key for key in needed if key not in values]
    if not missing:
        return values
    refusal = fetch_refusal(fhir_server)
    if refusal is not None:
        raise PrefetchMissing(missing, refusal)
    assert fhir_server is not None
    base = fhir_server.rstrip("/") + "/"
    headers = {"Accept": "application/fhir+json"}
    if access_token:
        headers["Authorization"] = f"Bearer {access_token}"
    async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False) as client:
        for key in missing:
            query = KEYS[key].query.replace(PATIENT_TOKEN, quote(patient_id, safe=""))
            values[key] = await _fetch(client, base, urljoin(base, query), key, max_bytes)
    return values


async def _fetch(client: httpx.AsyncClient, base: str, url: str, key: str, max_bytes: int) -> Any:
    """A query's resource, or a searchset's pages joined (next links on the server only, a few pages
    at most); an :class:`Unusable` saying why it could not be had."""
    what = KEYS[key].what
    entries: list[Any] = []
    for _ in range(MAX_PAGES):
        try:
            got = await _get(client, url, max_bytes)
        except httpx.HTTPError as error:
            return Unusable(key, what, f"the FHIR server could not be read ({type(error).__name__})")
        if isinstance(got, str):
            return Unusable(key, what, got)
        try:
            value = json.loads(got)
        except ValueError:
            return Unusable(key, what, "the FHIR server's answer is not JSON")
        if not (isinstance(value, dict) and value.get("resourceType") == "Bundle"):
            return value
        entries.extend(value.get("entry") or [])
        following = _next_link(value)
        if following is None:
            return {**value, "entry": entries}
        if not following.startswith(base):
            return Unusable(key, what, f"the FHIR server's next page {following!r} is on another server")
        url = following
    return Unusable(key, what, f"more than {MAX_PAGES} pages: only the first were read")


async def _get(client: httpx.AsyncClient, url: str, max_bytes: int) -> bytes | str:
    """The body of a 200 answer, read no further than ``max_bytes``; else why not (a str)."""
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            return f"the FHIR server answered {response.status_code} to {url}"
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                return f"the FHIR server's answer is over {max_bytes} bytes"
        return bytes(body)


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or ():
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def patient_data(values: Mapping[str, Any], checked: Collection[str] = ()) -> PatientData:
    """Every prefetch value read into resources, kinds held and what could not be used. ``checked``:
    keys whose values are known to hold no repeated key and no bad number (they came in a request
    body that ``load_clean`` found clean), not looked through again."""
    data = PatientData()
    seen: dict[str, Mapping[str, Any]] = {}
    for key, value in values.items():
        what = KEYS[key].what if key in KEYS else key
        if isinstance(value, Unusable):
            data.unusable.append(value)
            continue
        found = _resources_of(key, what, value, data.unusable, key in checked)
        if found is None:
            continue
        kind = KEYS[key].kind if key in KEYS else None
        if kind is not None:
            data.kinds.add(kind)
        if kind is HistoryKind.ORDERS:
            data.orders.extend(r for r in found if r.get("resourceType") == ORDER_TYPE)
            found = [r for r in found if r.get("resourceType") != ORDER_TYPE]  # their Medications
        for resource in found:
            ident = f"{resource.get('resourceType')}/{resource.get('id')}"
            if resource.get("id") is not None and seen.get(ident) == resource:
                continue  # the same resource under two keys (a lab that is also a vital sign): once
            seen.setdefault(ident, resource)
            data.resources.append(resource)
    return data


def _resources_of(
    key: str, what: str, value: Any, unusable: list[Unusable], clean: bool = False
) -> list[Mapping[str, Any]] | None:
    """The context resources of one prefetch value; None (and why, in ``unusable``) when the value
    as a whole cannot be used: then the kind of data it holds is not counted as held."""
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        unusable.append(Unusable(key, what, "the prefetch value is not a FHIR resource"))
        return None
    problems = [] if clean else problems_in(value, f"prefetch.{key}")
    if problems:
        unusable.append(Unusable(key, what, "; ".join(str(problem) for problem in problems)))
        return None
    kind = value["resourceType"]
    orders = key in KEYS and KEYS[key].kind is HistoryKind.ORDERS
    wanted = {ORDER_TYPE, *CONTEXT_TYPES} if orders else CONTEXT_TYPES
    if kind == "OperationOutcome":
        unusable.append(Unusable(key, what, f"the EHR could not give it: {_issues(value)}"))
        return None
    if kind != "Bundle":
        return [value] if kind in wanted else []
    if _next_link(value) is not None:
        unusable.append(Unusable(key, what, "the EHR sent only the first page of a search of many"))
        return None
    resources: list[Mapping[str, Any]] = []
    for entry in value.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            if _is_failure(resource):
                unusable.append(Unusable(key, what, f"the EHR's search failed in part: {_issues(resource)}"))
                return None
            continue  # a search's warnings and information
        if resource.get("resourceType") in wanted:
            resources.append(resource)
    return resources


def _is_failure(outcome: Mapping[str, Any]) -> bool:
    issues = outcome.get("issue")
    return any(isinstance(i, dict) and i.get("severity") in ("fatal", "error") for i in issues or ())


def _issues(outcome: Mapping[str, Any]) -> str:
    """An OperationOutcome's issues in words (diagnostics, else details' text, else the code)."""
    said = []
    for issue in outcome.get("issue") or ():
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = issue.get("diagnostics") or (details.get("text") if isinstance(details, dict) else None)
        said.append(str(text or issue.get("code") or "no reason given"))
    return "; ".join(said) or "no reason given"
