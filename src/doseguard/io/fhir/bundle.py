"""FHIR Bundles and Bulk Data NDJSON: the one splitter of a Bundle into what to check (the one
``doseguard check`` runs), and the index its references resolve through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from doseguard.errors import FieldProblem
from doseguard.io.fhir.elements import OBJECT, kind_of
from doseguard.io.json_text import Unreadable, problems_in, unreadable

CONTEXT_TYPES = frozenset(
    {
        "Patient", "Medication", "Substance", "Practitioner", "PractitionerRole", "Organization",
        "Location", "Encounter", "RelatedPerson", "Device", "Group", "Condition", "Observation",
        "AllergyIntolerance", "Coverage", "Provenance", "MedicationAdministration",
    }
)  # fmt: skip
"""Resource types a Bundle holds as context for its orders (what references name): the only entries
skipped without a result. Any other entry (an unknown or misspelt type, DSTU2's MedicationOrder, a
nested Bundle, an entry without a resource) gets a result in its place."""


def bundle_items(
    name: str, data: Any, *, clean: bool = False
) -> tuple[list[tuple[str, Any]], dict[str, Mapping[str, Any]]]:
    """What a Bundle gives to check: (source, resource or :class:`Unreadable`) for every entry that
    is not context, in entry order, and the resources references may name (:func:`index_resources`).

    ``data`` is read strictly (:func:`doseguard.io.json_text.load_document`): an entry with a repeated
    key or a bad number is refused in its place, and is not indexed (``clean``: ``data`` is known to
    hold neither, see :func:`doseguard.io.json_text.load_clean`, and is not looked through). A problem
    of the Bundle itself (outside its entries), or entries that are not a list, is one invalid record
    for the whole file.
    """
    if not isinstance(data, OBJECT):
        return [(name, Unreadable(f"expected a FHIR Bundle (a JSON object), got {kind_of(data)}"))], {}
    if data.get("resourceType") != "Bundle":
        kind = data.get("resourceType")
        return [(name, Unreadable(f"expected a FHIR Bundle, got resourceType {kind!r}"))], {}
    outside = [] if clean else problems_in(data, "Bundle", skip="entry")
    if outside:
        return [(name, unreadable(None, outside))], {}
    entries = data.get("entry")
    if entries is None:
        return [], {}
    if not isinstance(entries, list):
        problem = FieldProblem("Bundle.entry", f"must be a list of entries, got {kind_of(entries)}", None)
        return [(name, unreadable(None, [problem]))], {}
    items: list[tuple[str, Any]] = []
    readable: list[Any] = []
    for number, entry in enumerate(entries):
        source, path = f"{name}:entry[{number}]", f"Bundle.entry[{number}]"
        refused = _refused_entry(entry, path, clean)
        if refused is not None:
            items.append((source, refused))
            continue
        readable.append(entry)
        if entry["resource"].get("resourceType") not in CONTEXT_TYPES:
            items.append((source, entry["resource"]))
    return items, index_resources(readable)


def _refused_entry(entry: Any, path: str, clean: bool) -> Unreadable | None:
    """Why a Bundle entry cannot be read as a resource (None if it can)."""
    if not isinstance(entry, OBJECT):
        return unreadable(None, [FieldProblem(path, f"must be an entry object, got {kind_of(entry)}", entry)])
    resource = entry.get("resource")
    if resource is None:
        message = "missing: an entry without a resource (a transaction's DELETE, say) is not an order"
        return unreadable(None, [FieldProblem(f"{path}.resource", message)])
    if not isinstance(resource, OBJECT):
        message = f"must be a FHIR resource (a JSON object), got {kind_of(resource)}"
        return unreadable(None, [FieldProblem(f"{path}.resource", message, resource)])
    problems = [] if clean else problems_in(entry, path)
    if problems:
        return unreadable(resource, problems)
    return None


AMBIGUOUS = "(more than one resource)"
"""The resourceType of what :func:`index_resources` keeps for a "Type/id" or ``fullUrl`` that two
entries share: a reference to it names either, so it resolves to neither."""


def index_resources(entries: Iterable[Any]) -> dict[str, Mapping[str, Any]]:
    """Bundle entries (or bare resources) by "Type/id" and by ``fullUrl``, for resolving references.

    A key that two different resources share is kept as ``{"resourceType": AMBIGUOUS}``: the
    reference was resolved to the first entry, so which vial a "Medication/vial" meant was a guess."""
    index: dict[str, Mapping[str, Any]] = {}

    def add(key: str, resource: Mapping[str, Any]) -> None:
        known = index.setdefault(key, resource)
        if known is not resource and known != resource:
            index[key] = {"resourceType": AMBIGUOUS}

    for entry in entries:
        if not isinstance(entry, OBJECT):
            continue
        resource = entry.get("resource", entry)
        if not isinstance(resource, OBJECT):
            continue
        kind, ident = resource.get("resourceType"), resource.get("id")
        if isinstance(kind, str) and isinstance(ident, str) and ident:
            add(f"{kind}/{ident}", resource)
        url = entry.get("fullUrl")
        if isinstance(url, str) and url:
            add(url, resource)
    return index
