"""Polling an editor for the free slots of the effecteurs who declared it (flows INT_R01/INT_R04).

One batch is up to 25 national ids: the breaker is asked first (open: the batch is skipped and reported),
then the search for the window now → now + 48 h is sent and its pages followed (at most `MAX_PAGES`). If
the editor does not answer usably — down, slow, not FHIR, not a Bundle, every Slot of it unreadable (broken
references), more pages than allowed — the batch fails: the breaker counts it and nothing stored is
touched. Otherwise the answer replaces what the platform held for those effecteurs in the window
(`apply_answer`) and the breaker notes the success. The dispatcher sends each batch as its own message
(sas_common.ingest.dispatch), so one failing does not stop the others.

SOS editors are asked about associations, not doctors: the due ids are the SIRETs of the participating
associations that listed the editor (filed in `by_editor` with their declaration), 10 per batch, sent as
the Schedule search (`build_sos_query`); the answer replaces, per association, what that editor held for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from boto3.dynamodb.conditions import Key

from sas_common import storage
from sas_common.fhir.codes import siret_of
from sas_common.fhir.errors import FhirError
from sas_common.fhir.model import EditorSlot, MappingResult, Rejection
from sas_common.fhir.queries import (
    MAX_ASSOCIATIONS_PER_QUERY,
    MAX_PRACTITIONERS_PER_QUERY,
    build_slot_query,
    build_sos_query,
)
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest import breaker, rate
from sas_common.ingest.apply import apply_answer
from sas_common.ingest.client import (
    BACKOFF_MAX_SECONDS,
    MAX_RETRIES,
    EditorUnavailable,
    fetch_bundle,
    make_client,
)
from sas_common.participation import store as declarations
from sas_common.tables import PARTICIPATIONS
from sas_common.territory import EditorConfig, EditorKind

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
MAX_PAGES = 20
APPLY_SECONDS = 10.0  # kept for applying the answer once its last page is read
DUE_PAGE_SIZE = 100
SKIPPED_BREAKER_OPEN = "skipped: breaker open"
NO_ASSOCIATION_DUE = "no association SIRET among the ids due"


@dataclass
class BatchSummary:
    editor_id: str
    requested: int
    slots_received: int = 0
    accepted: int = 0
    rejected: int = 0
    error: str | None = None
    breaker_state: str = breaker.BreakerStatus.CLOSED.value
    pages: int = 0  # answers read (retries not counted)
    skipped: bool = False  # not sent: the breaker was open
    deferred: bool = False  # stopped before a request: the editor's request budget of the minute was spent
    places_created: int = 0  # places not in the directory made known from the answer
    places_not_geocoded: int = 0  # of those, the ones left without a position

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def failed(self) -> bool:
        """The editor did not answer usably (a skipped or deferred batch is not the editor's failure)."""
        return self.error is not None and not (self.skipped or self.deferred)

    def counters(self) -> dict[str, int]:
        """What the batch adds to its run's totals (the run record and the metrics)."""
        return {
            "batches_done": 1,
            "requested": self.requested,
            "requests": self.pages,
            "slots_received": self.slots_received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "places_created": self.places_created,
            "places_not_geocoded": self.places_not_geocoded,
            "failed_batches": int(self.failed),
            "skipped_batches": int(self.skipped),
            "deferred_batches": int(self.deferred),
        }


class _BatchFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _BatchDeferred(_BatchFailed):
    """Not the editor's fault: our own rate cap stopped the batch (the breaker does not count it)."""


def batches(national_ids: Sequence[str], size: int = MAX_PRACTITIONERS_PER_QUERY) -> Iterator[list[str]]:
    """Distinct ids in order, by `size`."""
    distinct = list(dict.fromkeys(national_ids))
    for first in range(0, len(distinct), size):
        yield distinct[first : first + size]


def batch_size(editor: EditorConfig) -> int:
    """Ids per search: 25 doctors, or 10 SOS associations (the guide's limits)."""
    return MAX_ASSOCIATIONS_PER_QUERY if editor.kind is EditorKind.SOS else MAX_PRACTITIONERS_PER_QUERY


def due_effecteurs(editor_id: str) -> list[str]:
    """Who is due a poll of this editor (index `by_editor`): the effecteurs who declared it and did not
    refuse its display, and for an SOS editor the participating associations that listed it (SIRETs)."""
    index = PARTICIPATIONS.index("by_editor")
    query: dict[str, Any] = {
        "IndexName": index.name,
        "KeyConditionExpression": Key(index.partition_key).eq(declarations.declared_editor_key(editor_id)),
        "ProjectionExpression": "#sk",
        "ExpressionAttributeNames": {"#sk": index.sort_key},
        "Limit": DUE_PAGE_SIZE,
    }
    found: list[str] = []
    while True:
        page = storage.table(PARTICIPATIONS).query(**query)
        found.extend(str(item[index.sort_key]) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _same_origin(url: str, base_url: str) -> bool:
    one, other = urlsplit(url), urlsplit(base_url)
    return (one.scheme, one.netloc) == (other.scheme, other.netloc)


def page_seconds(editor: EditorConfig) -> float:
    """The longest one page can take: every attempt timing out, with the longest backoffs between."""
    attempts = MAX_RETRIES + 1
    return attempts * (editor.connect_timeout_seconds + editor.read_timeout_seconds) + (
        MAX_RETRIES * BACKOFF_MAX_SECONDS
    )


def _fetch_answer(
    editor: EditorConfig,
    first_url: str,
    http: httpx.Client,
    summary: BatchSummary,
    now: datetime,
    time_left: Callable[[], float] | None,
) -> MappingResult:
    """Every page of the search, mapped and put together; _BatchFailed when the answer is not usable."""
    slots: list[EditorSlot] = []
    rejected: list[Rejection] = []
    url: str | None = first_url
    base_url = str(editor.fhir_base_url)
    while url is not None:
        if summary.pages >= MAX_PAGES:
            raise _BatchFailed(f"more than {MAX_PAGES} pages")
        if not _same_origin(url, base_url):
            raise _BatchFailed("a next page outside the editor's base URL")
        if time_left is not None and time_left() < page_seconds(editor) + APPLY_SECONDS:
            # Stop before the invocation's timeout would: the batch is reported, not lost with the worker.
            raise _BatchDeferred("deferred: too little time left in this invocation for another page")
        if not rate.take(editor.id, now, editor.max_requests_per_minute):
            raise _BatchDeferred(
                f"deferred: the budget of {editor.max_requests_per_minute} requests a minute is spent"
            )
        try:
            body = fetch_bundle(editor, url, client=http)
        except EditorUnavailable as exc:
            raise _BatchFailed(exc.reason) from exc
        summary.pages += 1
        try:
            page = map_slot_bundle(body, editor.kind)
        except FhirError as exc:
            raise _BatchFailed(f"{exc.__class__.__name__}: {exc}") from exc
        offset = len(slots) + len(rejected)
        slots += page.slots
        rejected += [Rejection(r.index + offset, r.reason, r.code) for r in page.rejected]
        url = page.next_url
    if rejected and not slots:
        # Not one Slot could be read (e.g. broken references): a broken answer, not "no slots any more".
        raise _BatchFailed(f"no readable slot: {rejected[0].code.value}: {rejected[0].reason}")
    return MappingResult(slots, rejected)


def poll_batch(
    editor: EditorConfig,
    national_ids: Sequence[str],
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
    time_left: Callable[[], float] | None = None,
) -> BatchSummary:
    """Poll one batch of up to 25 effecteurs, or 10 SOS associations, for the window now → now + 48 h
    (see the module's doc). `time_left`: seconds left to the caller (a Lambda invocation), so that a slow
    editor's pages stop in time and the batch is reported as deferred."""
    summary = BatchSummary(editor.id, len(national_ids))
    if editor.kind is EditorKind.SOS:
        # An SOS editor is asked about associations: only SIRETs (an effecteur who declared an SOS editor
        # for themself is filed under it too, and is not asked).
        national_ids = [value for value in national_ids if siret_of(value) == value]
        summary.requested = len(national_ids)
        if not national_ids:
            summary.error = NO_ASSOCIATION_DUE
            return summary
    allowed, state = breaker.acquire(editor.id, now)
    summary.breaker_state = state.status.value
    if not allowed:
        summary.error, summary.skipped = SKIPPED_BREAKER_OPEN, True
        return summary
    window_end = now + WINDOW
    if editor.kind is EditorKind.SOS:
        url = build_sos_query(str(editor.fhir_base_url), national_ids, now, window_end)
    else:
        url = build_slot_query(
            str(editor.fhir_base_url),
            national_ids,
            now,
            window_end,
            with_services=editor.kind is EditorKind.CPTS,
        )
    try:
        with make_client(editor, transport) as http:
            result = _fetch_answer(editor, url, http, summary, now, time_left)
    except _BatchDeferred as deferred:
        # Nothing stored is touched; the editor's next scheduled poll asks again.
        summary.error, summary.deferred = deferred.reason, True
        logger.warning("editor batch deferred", extra={"editor_id": editor.id, "reason": deferred.reason})
        return summary
    except (_BatchFailed, EditorUnavailable) as failed:  # the latter: no client (its certificate)
        summary.error = failed.reason
        summary.breaker_state = breaker.record_failure(editor.id, now).status.value
        logger.warning(
            "editor batch failed",
            extra={"editor_id": editor.id, "requested": len(national_ids), "reason": failed.reason},
        )
        return summary
    summary.slots_received = len(result.slots) + len(result.rejected)
    applied = apply_answer(editor, national_ids, now, window_end, result)
    summary.accepted, summary.rejected = len(applied.accepted), len(applied.rejected)
    summary.places_created, summary.places_not_geocoded = applied.places_created, applied.places_not_geocoded
    summary.breaker_state = breaker.record_success(editor.id).status.value
    return summary
