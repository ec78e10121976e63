"""French public holidays (jours fériés), computed: no calendar file, no dependency.

The eleven national holidays (Code du travail, L3133-1): 1 January, Easter Monday, 1 May, 8 May, Ascension
Thursday (Easter + 39 days), Whit Monday (Easter + 50; the "journée de solidarité" does not remove it from
the list), 14 July, 15 August, 1 November, 11 November, 25 December. A territory's departments add their
own: Alsace-Moselle (57, 67, 68) Good Friday and 26 December (L3134-13); the overseas departments and
collectivities the abolition of slavery (loi 83-550, décret 83-1003).

Bridge days (ponts) are not holidays: an ARS may extend the out-of-hours service (PDSA) to them, which is
a territory's decision this module does not know.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache
from types import MappingProxyType

ALSACE_MOSELLE = frozenset({"57", "67", "68"})
# The abolition of slavery's day, per overseas department or collectivity.
ABOLITION: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {
        "971": (5, 27),  # Guadeloupe
        "972": (5, 22),  # Martinique
        "973": (6, 10),  # Guyane
        "974": (12, 20),  # La Réunion
        "976": (4, 27),  # Mayotte
        "977": (10, 9),  # Saint-Barthélemy
        "978": (5, 28),  # Saint-Martin
    }
)


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous algorithm of Meeus, Jones and Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def national_holidays(year: int) -> dict[dt.date, str]:
    easter = easter_sunday(year)
    return {
        dt.date(year, 1, 1): "Jour de l'an",
        easter + dt.timedelta(days=1): "Lundi de Pâques",
        dt.date(year, 5, 1): "Fête du travail",
        dt.date(year, 5, 8): "Victoire 1945",
        easter + dt.timedelta(days=39): "Ascension",
        easter + dt.timedelta(days=50): "Lundi de Pentecôte",
        dt.date(year, 7, 14): "Fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "Armistice 1918",
        dt.date(year, 12, 25): "Noël",
    }


def local_holidays(year: int, departments: Collection[str]) -> dict[dt.date, str]:
    """The holidays the territory's departments add to the national ones."""
    found: dict[dt.date, str] = {}
    if ALSACE_MOSELLE & set(departments):
        found[easter_sunday(year) - dt.timedelta(days=2)] = "Vendredi saint"
        found[dt.date(year, 12, 26)] = "Saint-Étienne"
    for department in departments:
        if department in ABOLITION:
            month, day = ABOLITION[department]
            found[dt.date(year, month, day)] = "Abolition de l'esclavage"
    return found


@lru_cache(maxsize=64)
def _holidays(year: int, departments: frozenset[str]) -> MappingProxyType[dt.date, str]:
    return MappingProxyType({**national_holidays(year), **local_holidays(year, departments)})


def public_holidays(year: int, departments: Collection[str] = ()) -> MappingProxyType[dt.date, str]:
    """Every public holiday of `year` in a territory made of `departments`, by date, with its name."""
    return _holidays(year, frozenset(departments))


def is_public_holiday(day: dt.date, departments: Collection[str] = ()) -> bool:
    return day in public_holidays(day.year, departments)
