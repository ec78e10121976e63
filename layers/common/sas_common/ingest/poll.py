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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

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
from sas_common.ingest import breaker, breakers
from sas_common.ingest.apply import apply_answer
from sas_common.ingest.client import (
    BACKOFF_MAX_SECONDS,
    MAX_RETRIES,
    EditorUnavailable,
    fetch_bundle,
    make_client,
)
from sas_common.territory import EditorConfig, EditorKind

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
MAX_PAGES = 20
APPLY_SECONDS = 10.0  # kept for applying the answer once its last page is read
SKIPPED_BREAKER_OPEN = "skipped: breaker open"
NO_ASSOCIATION_DUE = "no association SIRET among the ids due"
NOTHING_ASKED = "no id to ask"


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


def _same_origin(url: str, base_url: str) -> bool:
    one, other = urlsplit(url), urlsplit(base_url)
    return (one.scheme, one.netloc) == (other.scheme, other.netloc)


def page_seconds(editor: EditorConfig) -> float:
    """The longest one page can take: every attempt timing out, with the longest backoffs between."""
    attempts = MAX_RETRIES + 1
    return attempts * (editor.connect_timeout_seconds + editor.read_timeout_seconds) + (
        MAX_RETRIES * BACKOFF_MAX_SECONDS
    )


def page_problem(
    editor: EditorConfig, url: str, pages_read: int, time_left: Callable[[], float] | None
) -> _BatchFailed | None:
    """Why the next page must not be asked (pure): too many pages, a next page elsewhere than the editor's
    base URL (failures), or too little time left in the invocation (deferred: the batch is reported, not
    lost with the worker)."""
    if pages_read >= MAX_PAGES:
        return _BatchFailed(f"more than {MAX_PAGES} pages")
    if not _same_origin(url, str(editor.fhir_base_url)):
        return _BatchFailed("a next page outside the editor's base URL")
    if time_left is not None and time_left() < page_seconds(editor) + APPLY_SECONDS:
        return _BatchDeferred("deferred: too little time left in this invocation for another page")
    return None


def _fetch_page(rt: Runtime, editor: EditorConfig, url: str, http: httpx.Client, now: datetime) -> bytes:
    """One page's body, within the editor's request budget; _BatchFailed when the editor did not answer."""
    if not rt.state.take_request(editor.id, now, editor.max_requests_per_minute):
        raise _BatchDeferred(
            f"deferred: the budget of {editor.max_requests_per_minute} requests a minute is spent"
        )
    try:
        return fetch_bundle(editor, url, client=http)
    except EditorUnavailable as exc:
        raise _BatchFailed(exc.reason) from exc


def _mapped(body: bytes, editor: EditorConfig) -> MappingResult:
    try:
        return map_slot_bundle(body, editor.kind)
    except FhirError as exc:
        raise _BatchFailed(f"{exc.__class__.__name__}: {exc}") from exc


def _fetch_answer(
    rt: Runtime,
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
    while url is not None:
        problem = page_problem(editor, url, summary.pages, time_left)
        if problem is not None:
            raise problem
        body = _fetch_page(rt, editor, url, http, now)
        summary.pages += 1
        page = _mapped(body, editor)
        offset = len(slots) + len(rejected)
        slots += page.slots
        rejected += [Rejection(r.index + offset, r.reason, r.code) for r in page.rejected]
        url = page.next_url
    if rejected and not slots:
        # Not one Slot could be read (e.g. broken references): a broken answer, not "no slots any more".
        raise _BatchFailed(f"no readable slot: {rejected[0].code.value}: {rejected[0].reason}")
    return MappingResult(slots, rejected)


def asked_ids(editor: EditorConfig, ids: Sequence[str]) -> list[str]:
    """Whom a batch asks the editor about: an SOS editor only associations' SIRETs (an effecteur who
    declared an SOS editor for themself is filed under it too, and is not asked)."""
    if editor.kind is EditorKind.SOS:
        return [value for value in ids if siret_of(value) == value]
    return list(ids)


def search_url(editor: EditorConfig, ids: Sequence[str], now: datetime) -> str:
    """The first page's URL: the slot search of INT_R01/INT_R04, or the SOS Schedule search."""
    window_end = now + WINDOW
    if editor.kind is EditorKind.SOS:
        return build_sos_query(str(editor.fhir_base_url), ids, now, window_end)
    return build_slot_query(
        str(editor.fhir_base_url), ids, now, window_end, with_services=editor.kind is EditorKind.CPTS
    )


def poll_batch(
    rt: Runtime,
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
    asked = asked_ids(editor, national_ids)
    summary = BatchSummary(editor.id, len(asked))
    if not asked:
        summary.error = NO_ASSOCIATION_DUE if editor.kind is EditorKind.SOS else NOTHING_ASKED
        return summary
    allowed, state = breakers.acquire(rt, editor.id, now)
    summary.breaker_state = state.status.value
    if not allowed:
        summary.error, summary.skipped = SKIPPED_BREAKER_OPEN, True
        return summary
    try:
        with make_client(editor, transport) as http:
            result = _fetch_answer(rt, editor, search_url(editor, asked, now), http, summary, now, time_left)
    except _BatchDeferred as deferred:
        # Nothing stored is touched; the editor's next scheduled poll asks again.
        summary.error, summary.deferred = deferred.reason, True
        logger.warning("editor batch deferred", extra={"editor_id": editor.id, "reason": deferred.reason})
        return summary
    except (_BatchFailed, EditorUnavailable) as failed:  # the latter: no client (its certificate)
        summary.error = failed.reason
        summary.breaker_state = breakers.record_failure(rt, editor.id, now).status.value
        logger.warning(
            "editor batch failed",
            extra={"editor_id": editor.id, "requested": len(asked), "reason": failed.reason},
        )
        return summary
    summary.slots_received = len(result.slots) + len(result.rejected)
    applied = apply_answer(rt, editor, asked, now, now + WINDOW, result)
    summary.accepted, summary.rejected = len(applied.accepted), len(applied.rejected)
    summary.places_created, summary.places_not_geocoded = applied.places_created, applied.places_not_geocoded
    summary.breaker_state = breakers.record_success(rt, editor.id).status.value
    return summary
