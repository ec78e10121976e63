"""The national address base (BAN) over HTTP: street-level positions, production's geocoder.

One address: `GET /search/?q=…&postcode=…&limit=1`. Many: `POST /search/csv/` with a CSV of the addresses,
answered with the same CSV plus `latitude`, `longitude` and `result_score`, one request per chunk. Any
failure (timeout, HTTP error, unreadable answer, a match below `min_score`) is a None, never an error: the
import goes on and the caller may fall back to the commune gazetteer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import httpx

from sas_common.effecteurs.model import Position
from sas_common.geocoding.base import AddressQuery
from sas_common.observability import logger

BAN_URL = "https://api-adresse.data.gouv.fr"
# Below this score BAN's best match is usually another street or another town.
MIN_SCORE = 0.4
CSV_CHUNK = 1_000
_CSV_COLUMNS = ("ref", "address", "postcode", "city")


class BanGeocoder:
    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        base_url: str = BAN_URL,
        timeout: httpx.Timeout | None = None,
        min_score: float = MIN_SCORE,
        chunk: int = CSV_CHUNK,
    ) -> None:
        self.client = client or httpx.Client(timeout=timeout or httpx.Timeout(10.0, connect=3.0))
        self.base_url = base_url.rstrip("/")
        self.min_score = min_score
        self.chunk = chunk

    def geocode(self, query: AddressQuery) -> Position | None:
        params = {"q": _text(query), "limit": "1"}
        if query.postal_code:
            params["postcode"] = query.postal_code
        if len(params["q"]) < 3:  # BAN refuses shorter queries
            return None
        try:
            response = self.client.get(f"{self.base_url}/search/", params=params)
            response.raise_for_status()
            features: list[dict[str, Any]] = response.json().get("features") or []
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            logger.warning("BAN search failed", extra={"error": str(error)})
            return None
        if not features or float(features[0].get("properties", {}).get("score", 0)) < self.min_score:
            return None
        try:
            lon, lat = features[0]["geometry"]["coordinates"][:2]
            return Position(lat=float(lat), lon=float(lon))
        except (KeyError, TypeError, ValueError):
            return None

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        found: list[Position | None] = []
        for start in range(0, len(queries), self.chunk):
            found.extend(self._geocode_csv(queries[start : start + self.chunk]))
        return found

    def _geocode_csv(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        upload = io.StringIO()
        writer = csv.writer(upload, lineterminator="\n")
        writer.writerow(_CSV_COLUMNS)
        for number, query in enumerate(queries):
            writer.writerow((number, query.address, query.postal_code or "", query.city or ""))
        try:
            response = self.client.post(
                f"{self.base_url}/search/csv/",
                files={"data": ("addresses.csv", upload.getvalue().encode(), "text/csv")},
                data={"columns": ["address", "city"], "postcode": "postcode"},
            )
            response.raise_for_status()
            answer = list(csv.DictReader(io.StringIO(response.text)))
        except (httpx.HTTPError, csv.Error, UnicodeDecodeError) as error:
            logger.warning("BAN batch search failed", extra={"error": str(error), "addresses": len(queries)})
            return [None] * len(queries)
        found: list[Position | None] = [None] * len(queries)
        for row in answer:
            position = self._position(row)
            ref = row.get("ref", "")
            if position is not None and ref.isdigit() and int(ref) < len(queries):
                found[int(ref)] = position
        return found

    def _position(self, row: dict[str, str]) -> Position | None:
        try:
            if float(row.get("result_score") or 0) < self.min_score:
                return None
            return Position(lat=float(row["latitude"]), lon=float(row["longitude"]))
        except (KeyError, ValueError):
            return None


def _text(query: AddressQuery) -> str:
    return " ".join(part.strip() for part in (query.address, query.postal_code, query.city) if part).strip()
