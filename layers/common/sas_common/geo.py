"""Geospatial keys: the h3 cell a place or slot is filed under, and distances.

Search reads one index partition per covering cell and day, so the resolution sets how many Queries a
search costs: at resolution 4 (average edge ≈ 26 km) a 30 km radius is covered by ≈ 7–12 cells.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

import h3

from sas_common.effecteurs.model import Position

SEARCH_RESOLUTION = 4
EARTH_RADIUS_KM = 6371.0088


def cell_of(position: Position) -> str:
    cell: str = h3.latlng_to_cell(position.lat, position.lon, SEARCH_RESOLUTION)
    return cell


def distance_km(a: Position, b: Position) -> float:
    """Great-circle distance (haversine)."""
    dlat = radians(b.lat - a.lat)
    dlon = radians(b.lon - a.lon)
    h = sin(dlat / 2) ** 2 + cos(radians(a.lat)) * cos(radians(b.lat)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))
