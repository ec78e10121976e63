"""The manual agenda's use cases, called by the HTTP handlers once the body is parsed: who may act on what,
the rules, the write (whole, conditional on the version read), then the materialisation of the
effecteur's coming days and of the current week's visible hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sas_common.agenda import rules
from sas_common.agenda.materialise import materialise
from sas_common.agenda.model import AvailabilityInput, AvailabilityPatch, Schedule, Scope, Series
from sas_common.agenda.occurrences import Occurrence, last_day, occurrences
from sas_common.agenda.unavailability import Unavailability, UnavailabilityInput, resolve
from sas_common.auth import Action, Principal, Target, authorize
from sas_common.effecteurs.model import Card
from sas_common.errors import Conflict, NotFound, RuleViolation, StaleWrite
from sas_common.participation.rules import manual_agenda_allowed

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

# The longest span one agenda read may cover.
MAX_AGENDA_DAYS = 62
# A write that finds the series changed since it was read is redone on the fresh series this many times.
WRITE_ATTEMPTS = 3
EDITOR_SYNCED = "editor_synced"


def local_today(rt: Runtime, now: datetime) -> dt.date:
    return now.astimezone(rt.territory.zone).date()


def _authorize_place(who: Principal, action: Action, card: Card, place_id: str) -> None:
    """A structure manager acts only on the places of their structure; the others as on the card."""
    place = card.place(place_id)
    structures = frozenset(place.structure_ids) if place else frozenset()
    authorize(who, action, Target(card.national_id, structures, approved_delegates=card.approved_delegates))


def _require_manual_agenda(rt: Runtime, national_id: str) -> None:
    if not manual_agenda_allowed(rt.participations.declaration(national_id)):
        raise Conflict(
            "this effecteur's slots come from their booking software (interfaced editor): the manual agenda "
            "is not available. To use it, declare that editor slots are refused, or no interfaced software.",
            rule=EDITOR_SYNCED,
        )


def _identifier(national_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{national_id}|{idempotency_key}".encode()).hexdigest()[:32]


def create(
    rt: Runtime,
    card: Card,
    who: Principal,
    body: AvailabilityInput,
    *,
    now: datetime,
    idempotency_key: str | None = None,
) -> Series:
    """A new series. With an Idempotency-Key, a replay of the same body answers the series it created."""
    _require_manual_agenda(rt, card.national_id)
    rules.check_place(body.place_id, [place.id for place in card.places])
    _authorize_place(who, Action.EDIT_AGENDA, card, body.place_id)
    today = local_today(rt, now)
    series = rules.new_series(
        body,
        identifier=_identifier(card.national_id, idempotency_key),
        national_id=card.national_id,
        place_ids=[place.id for place in card.places],
        today=today,
        now=now,
        by=who.subject,
    )
    try:
        rt.effecteurs.create_series(series, live=rules.is_live(last_day(series), today))
    except StaleWrite:
        existing = rt.effecteurs.load_series(card.national_id, series.id)
        if existing is None or (existing.place_id, existing.date, existing.revisions[0]) != (
            series.place_id,
            series.date,
            series.revisions[0],
        ):
            raise Conflict(
                "this Idempotency-Key was used for another availability", rule="idempotency_key_reused"
            ) from None
        return existing
    materialise(rt, card.national_id, now)
    return series


def edit(
    rt: Runtime,
    card: Card,
    who: Principal,
    availability_id: str,
    *,
    scope: Scope,
    day: dt.date | None,
    patch: AvailabilityPatch,
    now: datetime,
) -> Series:
    _require_manual_agenda(rt, card.national_id)
    today = local_today(rt, now)

    def change(series: Series) -> Series | None:
        _authorize_place(who, Action.EDIT_AGENDA, card, series.place_id)
        if scope is Scope.OCCURRENCE:
            return rules.edit_occurrence(series, patch, day=day, today=today, now=now, by=who.subject)
        return rules.edit_series(series, patch, from_day=day, today=today, now=now, by=who.subject)

    edited = _update(rt, card.national_id, availability_id, change, now)
    assert edited is not None
    return edited


def delete(
    rt: Runtime,
    card: Card,
    who: Principal,
    availability_id: str,
    *,
    scope: Scope,
    day: dt.date | None,
    now: datetime,
) -> None:
    """Delete one occurrence or the series from a day on. Allowed even to an editor-synced effecteur, so
    that a manual agenda left from before can be cleared."""
    today = local_today(rt, now)

    def change(series: Series) -> Series | None:
        _authorize_place(who, Action.EDIT_AGENDA, card, series.place_id)
        if scope is Scope.OCCURRENCE:
            return rules.delete_occurrence(series, day=day, today=today, now=now, by=who.subject)
        return rules.delete_series(series, from_day=day, today=today, now=now, by=who.subject)

    _update(rt, card.national_id, availability_id, change, now)


def _update(
    rt: Runtime,
    national_id: str,
    availability_id: str,
    change: Callable[[Series], Series | None],
    now: datetime,
) -> Series | None:
    """Read, change, write over the version read (redone if another write came first), materialise."""
    today = local_today(rt, now)
    store = rt.effecteurs
    for _ in range(WRITE_ATTEMPTS):
        series = store.load_series(national_id, availability_id)
        if series is None or (series.deleted_from is not None and series.deleted_from <= today):
            raise NotFound(f"no availability {availability_id} for {national_id}", field="availability_id")
        changed = change(series)
        if changed == series:
            return series
        try:
            if changed is None:
                store.delete_series(national_id, availability_id, read_version=series.version)
            else:
                live = rules.is_live(last_day(changed), today)
                changed = store.replace_series(changed, read_version=series.version, live=live)
        except StaleWrite:
            continue
        materialise(rt, national_id, now)
        return changed
    raise Conflict("the availability was changed at the same time; reload it and try again")


def set_unavailability(
    rt: Runtime, card: Card, who: Principal, place_id: str, body: UnavailabilityInput, *, now: datetime
) -> Unavailability | None:
    """Replace a place's unavailability (None: removed). Any effecteur may declare one, editor-synced
    or not: search hides the place either way."""
    if card.place(place_id) is None:
        raise NotFound(f"no place {place_id} for {card.national_id}", field="place_id")
    _authorize_place(who, Action.EDIT_UNAVAILABILITY, card, place_id)
    previous = rt.effecteurs.load_unavailabilities(card.national_id).get(place_id)
    unavailability = resolve(body, place_id=place_id, previous=previous, today=local_today(rt, now), now=now)
    rt.effecteurs.save_unavailability(card.national_id, place_id, unavailability)
    materialise(rt, card.national_id, now)
    return unavailability


def agenda(rt: Runtime, card: Card, first: dt.date, last: dt.date) -> list[tuple[Occurrence, bool]]:
    """The occurrences on the local days [first, last] by start, each with whether it is active (shown to
    regulators: the manual agenda is allowed and no unavailability of its place hides it)."""
    if last < first:
        raise RuleViolation(f"to {last} is before from {first}", field="to", rule="to_before_from")
    if (last - first).days >= MAX_AGENDA_DAYS:
        raise RuleViolation(f"at most {MAX_AGENDA_DAYS} days at once", field="to", rule="span_too_long")
    today = local_today(rt, datetime.now(UTC))
    rules.check_horizon(first, today, "from")
    rules.check_horizon(last, today, "to")
    zone = rt.territory.zone
    allowed = manual_agenda_allowed(rt.participations.declaration(card.national_id))
    unavailability = {u.place_id: u for u in card.unavailabilities}
    found = [
        o
        for series in rt.effecteurs.list_series(card.national_id)
        for o in occurrences(series, first, last, zone)
    ]

    def active(occurrence: Occurrence) -> bool:
        hidden_by = unavailability.get(occurrence.place_id)
        return allowed and (hidden_by is None or not hidden_by.hides(occurrence.date, occurrence.end))

    return [(o, active(o)) for o in sorted(found, key=lambda o: (o.start, o.availability_id))]


def in_force(series: Series, day: dt.date) -> Schedule:
    """The schedule in force on `day` (the first one before the series starts)."""
    effective = max(day, series.date)
    return next((s for s in reversed(series.revisions) if s.effective_from <= effective), series.revisions[0])
