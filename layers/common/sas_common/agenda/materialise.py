"""Materialisation: the coming days' active occurrences of an effecteur's manual agenda, written to the
`slots` table as manual slots (`SRC#manual#<national_id>`), so search never expands recurrences.

It runs for one effecteur after each change of their agenda or of a place's unavailability (only their
window is replaced), and for every effecteur with live series from the `materialise-agenda` job, which
moves the window forward as days pass. Each run also writes the current week's visible hours.

The window is the local days from today to today + `MATERIALISED_DAYS`, so at any time it reaches at least
72 h ahead: the search's 48 h, with a margin that covers a missed job run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sas_common.agenda.model import Series
from sas_common.agenda.occurrences import Occurrence, instant, last_day, occurrences
from sas_common.agenda.rules import is_live
from sas_common.agenda.unavailability import Unavailability
from sas_common.agenda.weekly import iso_week, visible_minutes, week_days
from sas_common.effecteurs.model import Card
from sas_common.jobs import MATERIALISE_AGENDA
from sas_common.observability import logger
from sas_common.participation.rules import manual_agenda_allowed
from sas_common.slots.keys import MANUAL_SOURCE
from sas_common.slots.model import Slot, SlotMode, Visibility
from sas_common.slots.replacement import Replacement

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

MATERIALISED_DAYS = 3
# Manual slots are offered to the SAS regulation.
MANUAL_VISIBILITY = (Visibility.SNP,)
# The job: owners read per index page, and the time kept in hand before the function's timeout.
JOB_PAGE = 100
JOB_RESERVE_SECONDS = 8.0


@dataclass(frozen=True)
class Window:
    first_day: dt.date
    last_day: dt.date
    start: datetime  # UTC, local midnight starting first_day
    end: datetime  # UTC, local midnight ending last_day


def window(now: datetime, zone: ZoneInfo) -> Window:
    today = now.astimezone(zone).date()
    last = today + timedelta(days=MATERIALISED_DAYS)
    return Window(today, last, instant(today, "00:00", zone), instant(last, "24:00", zone))


def _visible(
    series: Sequence[Series],
    unavailability: Mapping[str, Unavailability],
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
) -> Iterator[Occurrence]:
    for one in series:
        for occurrence in occurrences(one, first, last, zone):
            hidden_by = unavailability.get(occurrence.place_id)
            if hidden_by is None or not hidden_by.hides(occurrence.date, occurrence.end):
                yield occurrence


def manual_slots(
    card: Card,
    series: Sequence[Series],
    unavailability: Mapping[str, Unavailability],
    now: datetime,
    zone: ZoneInfo,
) -> list[Slot]:
    """The slots the window holds: active occurrences' slots (or ranges) that have not ended."""
    span = window(now, zone)
    found: list[Slot] = []
    for occurrence in _visible(series, unavailability, span.first_day, span.last_day, zone):
        place = card.place(occurrence.place_id)
        for start, end in occurrence.slots():
            if end <= now:
                continue
            found.append(
                Slot(
                    source=MANUAL_SOURCE,
                    national_id=card.national_id,
                    slot_key=occurrence.availability_id,
                    start=start,
                    end=end,
                    consultation_types=occurrence.consultation_types,
                    visibility=MANUAL_VISIBILITY,
                    mode=occurrence.mode,
                    capacity=occurrence.capacity if occurrence.mode is SlotMode.RANGE else None,
                    walk_in=occurrence.walk_in,
                    place_id=occurrence.place_id,
                    position=place.position if place else None,
                    specialty_code=card.specialty_code,
                    availability_id=occurrence.availability_id,
                )
            )
    return found


def week_minutes(
    series: Sequence[Series], unavailability: Mapping[str, Unavailability], day: dt.date, zone: ZoneInfo
) -> int:
    """Visible manual minutes of the ISO week of `day`, as the agenda is now."""
    monday, sunday = week_days(day)
    spans = [(o.start, o.visible_end) for o in _visible(series, unavailability, monday, sunday, zone)]
    return visible_minutes(spans)


@dataclass(frozen=True)
class Materialised:
    national_id: str
    slots: Replacement
    week: str
    visible_minutes: int
    retired: int


def materialise(rt: Runtime, national_id: str, now: datetime) -> Materialised:
    """Replace the effecteur's manual slots in the window, write the current week's hours, and take
    series without days to come out of the job's index."""
    zone = rt.territory.zone
    today = now.astimezone(zone).date()
    card = rt.effecteurs.load_card(national_id)
    allowed = card is not None and manual_agenda_allowed(rt.participations.declaration(national_id))
    indexed = rt.effecteurs.list_series_indexed(national_id)
    series = [one for one, _ in indexed] if allowed else []
    unavailability = rt.effecteurs.load_unavailabilities(national_id) if allowed else {}
    span = window(now, zone)
    slots = manual_slots(card, series, unavailability, now, zone) if card is not None and allowed else []
    replaced = rt.slots.replace_slots(MANUAL_SOURCE, national_id, span.start, span.end, slots)
    minutes = week_minutes(series, unavailability, today, zone)
    rt.participations.save_week(national_id, iso_week(today), week_days(today)[0], minutes, now)
    ended = [one for one, in_index in indexed if in_index and not is_live(last_day(one), today)]
    for one in ended:
        rt.effecteurs.retire_series(one)
    return Materialised(national_id, replaced, iso_week(today), minutes, len(ended))


@dataclass
class JobRun:
    day: str
    effecteurs: int = 0
    failed: int = 0
    slots_put: int = 0
    slots_updated: int = 0
    slots_deleted: int = 0
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, result: Materialised) -> None:
        self.slots_put += result.slots.put
        self.slots_updated += result.slots.updated
        self.slots_deleted += result.slots.deleted


def materialise_due(rt: Runtime, now: datetime, seconds_left: Callable[[], float]) -> JobRun:
    """Once per local day, materialise every effecteur with live series, page by page through the index.

    A run stops before the function's timeout and keeps its place (`platform_state`); the next run goes on
    from there, and once the day's pass is done, runs that day only read the cursor.
    """
    today = now.astimezone(rt.territory.zone).date()
    cursor = rt.state.load_cursor(MATERIALISE_AGENDA.name)
    same_day = cursor.get("day") == today.isoformat()
    run = JobRun(today.isoformat())
    if same_day and cursor.get("done"):
        run.done = True
        return run
    after: str | None = str(cursor["after"]) if same_day and cursor.get("after") else None
    while not run.done:
        owners, more = rt.effecteurs.agenda_owners(after, JOB_PAGE)
        for owner in owners:
            if seconds_left() < JOB_RESERVE_SECONDS:
                _save_cursor(rt, today, after, done=False)
                return run
            _materialise_one(rt, owner, now, run)
            after = owner
        run.done = not owners or not more
    _save_cursor(rt, today, after, done=True)
    return run


def _materialise_one(rt: Runtime, owner: str, now: datetime, run: JobRun) -> None:
    try:
        run.add(materialise(rt, owner, now))
    except Exception:  # one effecteur's bad data must not stop the others' pass
        logger.exception("materialisation failed", extra={"national_id": owner})
        run.failed += 1
    run.effecteurs += 1


def _save_cursor(rt: Runtime, day: dt.date, after: str | None, *, done: bool) -> None:
    cursor: dict[str, Any] = {"day": day.isoformat(), "done": done}
    if after is not None:
        cursor["after"] = after
    rt.state.save_cursor(MATERIALISE_AGENDA.name, cursor)
