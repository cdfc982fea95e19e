"""Each record given its patient before it is checked: the run's history store, read by patient id.

Only runs with a context source (``--patients``, ``--administrations``, ``--labs``, ``--history``)
come here; a run without one checks its records as they are, with no work per record added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from doseguard.io.history_store import HistoryStore
from doseguard.patients.model import PatientContext
from doseguard.records import InputRecord, record_ids


def with_context(items: Sequence[InputRecord], store: HistoryStore) -> list[InputRecord]:
    """The records, each readable one with its patient's context (a FHIR Bundle's own context, when
    it has one, joined with the run's). A record without a patient id, or that could not be read,
    is left as it is: it is invalid, and no patient's history is its."""
    attached = []
    for item in items:
        patient_id = record_ids(item.data)[1] if item.error is None and not item.problems else None
        if patient_id is None:
            attached.append(item)
            continue
        stored = store.context(patient_id)
        context = stored if item.context is None else joined(item.context, stored)
        attached.append(dataclasses.replace(item, context=context))
    return attached


def joined(own: PatientContext, stored: PatientContext) -> PatientContext:
    """A Bundle's context with the run's files': the Bundle's patient fields first (the files' fill
    what it does not say), every kind either holds, histories merged by time."""
    return PatientContext(
        own.patient_id,
        own.kinds | stored.kinds,
        {**stored.fields, **own.fields},
        tuple(sorted((*own.administrations, *stored.administrations), key=lambda a: a.given_at)),
        tuple(sorted((*own.labs, *stored.labs), key=lambda lab: lab.taken_at)),
        (*own.orders, *stored.orders),
        (*own.sources, *stored.sources),
        (*own.gaps, *stored.gaps),
        {**{k: v for k, v in stored.field_sources.items() if k not in own.fields}, **own.field_sources},
        {**{k: v for k, v in stored.field_times.items() if k not in own.fields}, **own.field_times},
    )
