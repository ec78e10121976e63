"""What a regulator asks (`GET /search/slots`, `GET /search/en-sus`), read from the query string and
checked: every problem is a 400 naming the parameter and, for a limit, the limit.

Limits (docs/contract.md): radius ≤ 100 km, window ≤ 7 days and not over before it starts, page ≤ 100
results, and at most `MAX_QUERIES` index partitions (covering cells × local days): a 100 km radius over 7
days is 29 cells × 8 days = 232 (each read in at most `search.merge.MAX_READS` Queries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sas_common.effecteurs.model import Position
from sas_common.errors import InvalidInput
from sas_common.identifiers import is_national_id
from sas_common.slots.model import ConsultationType, Visibility

MAX_RADIUS_KM = 100.0
DEFAULT_RADIUS_KM = 30.0
DEFAULT_WINDOW = timedelta(hours=48)
MAX_WINDOW = timedelta(days=7)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERIES = 250
SPECIALTY_MAX = 100

PARAMETERS = (
    "lat",
    "lon",
    "radius_km",
    "from",
    "to",
    "specialty",
    "consultation_type",
    "walk_in",
    "visibility",
    "treating_doctor",
    "page_size",
    "cursor",
)


@dataclass(frozen=True)
class Area:
    """Where: the patient's point and a radius."""

    center: Position
    radius_km: float


@dataclass(frozen=True)
class SlotQuery:
    area: Area
    start: datetime  # UTC, never before the search's `now`
    end: datetime  # UTC
    specialty: str | None = None  # a TRE_R38 code (SM54) or the editor's text
    consultation_types: frozenset[ConsultationType] = frozenset()  # none: any
    walk_in: bool | None = None
    visibility: frozenset[Visibility] = frozenset()  # none: any
    treating_doctor: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    @property
    def only_teleconsultation(self) -> bool:
        return self.consultation_types == {ConsultationType.TELECONSULTATION}


def _one(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value.strip() if value is not None and value.strip() else None


def _number(
    params: Mapping[str, str], name: str, low: float, high: float, default: float | None = None
) -> float:
    raw = _one(params, name)
    if raw is None:
        if default is None:
            raise InvalidInput(f"{name} is required", field=name)
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not {raw[:40]!r}", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low:g} and {high:g}", field=name)
    return value


def read_area(params: Mapping[str, str]) -> Area:
    lat = _number(params, "lat", -90, 90)
    lon = _number(params, "lon", -180, 180)
    radius = _number(params, "radius_km", 0, MAX_RADIUS_KM, DEFAULT_RADIUS_KM)
    if radius <= 0:
        raise InvalidInput("radius_km must be more than 0", field="radius_km")
    return Area(Position(lat=lat, lon=lon), radius)


def _instant(params: Mapping[str, str], name: str) -> datetime | None:
    raw = _one(params, name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))  # a `+` left unescaped in a query is a space
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 instant with its offset", field=name) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} must carry its offset (e.g. 2026-03-10T09:00:00+01:00)", field=name)
    return moment.astimezone(UTC)


E = TypeVar("E", ConsultationType, Visibility)


def _members(params: Mapping[str, str], name: str, kind: type[E]) -> frozenset[E]:
    raw = _one(params, name)
    if raw is None:
        return frozenset()
    found: set[E] = set()
    for value in (part.strip() for part in raw.split(",")):
        try:
            found.add(kind(value))
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise InvalidInput(f"{name}: {value[:40]!r} is not one of {allowed}", field=name) from None
    return frozenset(found)


def _walk_in(params: Mapping[str, str]) -> bool | None:
    raw = _one(params, "walk_in")
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise InvalidInput("walk_in must be true (without appointment) or false (with one)", field="walk_in")
    return raw.lower() == "true"


def read_window(params: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """[from, to): now → now + 48 h by default; a `from` already past starts now; never longer than 7 days."""
    start = _instant(params, "from") or now
    end = _instant(params, "to") or max(start, now) + DEFAULT_WINDOW
    if end <= now:
        raise InvalidInput("the window is over: `to` must be in the future", field="to")
    if start >= end:
        raise InvalidInput("`from` must be before `to`", field="from")
    start = max(start, now)
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"the window may not exceed {MAX_WINDOW.days} days", field="to")
    return start, end


def criteria_text(params: Mapping[str, str]) -> str:
    """The criteria of a search as asked (its page aside): what a cursor is tied to."""
    return "&".join(
        f"{name}={params[name]}" for name in sorted(params) if name not in ("cursor", "page_size")
    )


def read_slot_query(params: Mapping[str, str], now: datetime) -> SlotQuery:
    """The search asked, every parameter checked (400 naming the first wrong one)."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}", field=unknown[0])
    area = read_area(params)
    start, end = read_window(params, now)
    specialty = _one(params, "specialty")
    if specialty is not None and len(specialty) > SPECIALTY_MAX:
        raise InvalidInput(f"specialty is at most {SPECIALTY_MAX} characters", field="specialty")
    doctor = _one(params, "treating_doctor")
    if doctor is not None and not is_national_id(doctor):
        raise InvalidInput(
            "treating_doctor must be a national id (8 + RPPS, or 0 + ADELI)", field="treating_doctor"
        )
    return SlotQuery(
        area=area,
        start=start,
        end=end,
        specialty=specialty,
        consultation_types=_members(params, "consultation_type", ConsultationType),
        walk_in=_walk_in(params),
        visibility=_members(params, "visibility", Visibility),
        treating_doctor=doctor,
        page_size=_page_size(params),
        cursor=_one(params, "cursor"),
    )


def _page_size(params: Mapping[str, str]) -> int:
    size = _number(params, "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)
    if not size.is_integer():
        raise InvalidInput("page_size must be a whole number", field="page_size")
    return int(size)
