"""Geospatial keys: the h3 cell a place or slot is filed under, the cells covering a disc, and distances.

Search reads one index partition per covering cell and day, so the resolution sets how many Queries a
search costs: at resolution 4 (average edge ≈ 26 km) a 30 km radius is covered by ≈ 7–12 cells, 100 km by
≈ 60.
"""

from __future__ import annotations

from math import asin, ceil, cos, radians, sin, sqrt

import h3

from sas_common.effecteurs.model import Position

SEARCH_RESOLUTION = 4
EARTH_RADIUS_KM = 6371.0088


def cell_of(position: Position) -> str:
    cell: str = h3.latlng_to_cell(position.lat, position.lon, SEARCH_RESOLUTION)
    return cell


def distance_km(a: Position, b: Position) -> float:
    """Great-circle distance (haversine)."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def haversine_km(lat: float, lon: float, other_lat: float, other_lon: float) -> float:
    """`distance_km` of two points given by their coordinates (search computes thousands)."""
    dlat = radians(other_lat - lat)
    dlon = radians(other_lon - lon)
    h = sin(dlat / 2) ** 2 + cos(radians(lat)) * cos(radians(other_lat)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


# The shortest distance between the centres of two neighbouring cells at SEARCH_RESOLUTION is above
# sqrt(3) × the shortest edge (≈ 22 km at resolution 4): rings of cells grow by at least that much.
_RING_STEP_KM = 30.0


def covering_cells(center: Position, radius_km: float) -> list[str]:
    """Every cell at SEARCH_RESOLUTION that the disc of `radius_km` around `center` touches, nearest
    first: the disc's own cell, then each cell of the rings around it whose hexagon comes within the
    radius (a slot anywhere within the radius is in one of them)."""
    origin = h3.latlng_to_cell(center.lat, center.lon, SEARCH_RESOLUTION)
    rings = ceil(radius_km / _RING_STEP_KM) + 1
    touched = [cell for cell in h3.grid_disk(origin, rings) if _cell_distance_km(center, cell) <= radius_km]
    return sorted(touched, key=lambda cell: (cell != origin, _centre_distance_km(center, cell), cell))


# How much `_cell_distance_km` (a flat projection around the point) may exceed the great-circle distance to
# a position filed under the cell, taken off it by `cell_floor_km` (tests/unit/test_search_rules.py).
_FLOOR_MARGIN = 0.03
_FLOOR_MARGIN_KM = 0.1


def cell_floor_km(point: Position, cell: str) -> float:
    """A distance that no position filed under `cell` is nearer to the point than (0 for the point's own
    cell): search skips the cells whose every place is in a farther distance band than its page needs."""
    return max(0.0, _cell_distance_km(point, cell) * (1 - _FLOOR_MARGIN) - _FLOOR_MARGIN_KM)


def radius_floor_km(radius_km: float) -> float:
    """A distance that no position outside the cells `covering_cells` gives for this radius is nearer than."""
    return max(0.0, radius_km * (1 - _FLOOR_MARGIN) - _FLOOR_MARGIN_KM)


def _centre_distance_km(point: Position, cell: str) -> float:
    lat, lon = h3.cell_to_latlng(cell)
    return distance_km(point, Position.model_construct(lat=lat, lon=lon))


def _cell_distance_km(point: Position, cell: str) -> float:
    """How far the point is from the cell's hexagon: 0 inside, else the distance to its nearest edge (on a
    local flat projection: exact enough at these distances for a covering test)."""
    if h3.latlng_to_cell(point.lat, point.lon, SEARCH_RESOLUTION) == cell:
        return 0.0
    scale = EARTH_RADIUS_KM * radians(1)
    x_scale = scale * cos(radians(point.lat))
    corners = [
        ((lon - point.lon) * x_scale, (lat - point.lat) * scale) for lat, lon in h3.cell_to_boundary(cell)
    ]
    return min(_segment_distance(corners[i], corners[(i + 1) % len(corners)]) for i in range(len(corners)))


def _segment_distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from the origin to the segment [a, b]."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, -(a[0] * dx + a[1] * dy) / length))
    x, y = a[0] + t * dx, a[1] + t * dy
    return sqrt(x * x + y * y)
