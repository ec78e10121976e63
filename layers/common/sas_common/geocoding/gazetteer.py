"""Offline geocoding at commune level, from a committed table of French communes.

`data/communes.csv.gz` (built by `sas_local.gazetteer_build` from open data the registries ship; sources
and licences in `data/SOURCES.md`) holds one line per INSEE commune code: `code,lat,lon,name,postal codes
it is the main commune of`. An address is placed at its commune: by commune code, else by postal code,
else by city name within the department. Street-level precision needs the BAN (`ban.py`).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sas_common.effecteurs.model import Position
from sas_common.geocoding.base import AddressQuery, OneByOne
from sas_common.geocoding.codes import department_of_commune, department_of_postal_code, normalise_name

DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "communes.csv.gz"


@dataclass(frozen=True)
class Gazetteer:
    by_commune: dict[str, tuple[float, float]]  # commune code → (lat, lon)
    by_postal_code: dict[str, str]  # postal code → its main commune's code
    by_name: dict[tuple[str, str], str]  # (department, normalised name) → commune code

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> Gazetteer:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
            return cls.parse(stream)

    @classmethod
    def parse(cls, stream: io.TextIOBase | io.StringIO) -> Gazetteer:
        by_commune: dict[str, tuple[float, float]] = {}
        by_postal_code: dict[str, str] = {}
        by_name: dict[tuple[str, str], str] = {}
        for code, lat, lon, name, postal_codes in csv.reader(stream):
            by_commune[code] = (float(lat), float(lon))
            for postal_code in postal_codes.split():
                by_postal_code[postal_code] = code
            department = department_of_commune(code)
            if department:
                by_name.setdefault((department, normalise_name(name)), code)
        return cls(by_commune, by_postal_code, by_name)

    def locate(self, query: AddressQuery) -> Position | None:
        code = self.commune_of(query)
        if code is None:
            return None
        lat, lon = self.by_commune[code]
        return Position(lat=lat, lon=lon)

    def commune_of(self, query: AddressQuery) -> str | None:
        """The commune code the address is placed at."""
        commune_code = (query.commune_code or "").strip().upper()
        if commune_code in self.by_commune:
            return commune_code
        postal_code = (query.postal_code or "").strip()
        if postal_code in self.by_postal_code:
            return self.by_postal_code[postal_code]
        department = department_of_commune(commune_code) or department_of_postal_code(postal_code)
        if department and query.city:
            # A CEDEX or a retired postal code: the city's name within its department.
            return self.by_name.get((department, normalise_name(query.city)))
        return None


@cache
def default_gazetteer() -> Gazetteer:
    """The committed table, read once per process (≈ 39,000 communes, a few MB in memory)."""
    return Gazetteer.load()


class GazetteerGeocoder(OneByOne):
    """A commune-level geocoder that needs no network: the local runtime's and the tests'."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self._gazetteer = gazetteer

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.gazetteer.locate(query)
