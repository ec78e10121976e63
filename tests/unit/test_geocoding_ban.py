"""The BAN geocoder against a mock transport: requests sent, answers read, every failure a None."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
import pytest

from sas_common.effecteurs.model import Position
from sas_common.geocoding import AddressQuery, BanGeocoder

CAPITOLE = AddressQuery("1 place du Capitole", "31000", "31555", "TOULOUSE")


def feature(lon: float, lat: float, score: float) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"score": score},
    }


def ban(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> BanGeocoder:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return BanGeocoder(client, base_url="https://ban.test", **options)  # type: ignore[arg-type]


def test_one_address_is_searched_with_its_postal_code() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"features": [feature(1.4437, 43.6044, 0.93)]})

    assert ban(handler).geocode(CAPITOLE) == Position(lat=43.6044, lon=1.4437)
    [request] = seen
    assert request.url.path == "/search/"
    assert request.url.params["q"] == "1 place du Capitole 31000 TOULOUSE"
    assert request.url.params["postcode"] == "31000"
    assert request.url.params["limit"] == "1"


def _raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("too slow", request=request)


@pytest.mark.parametrize(
    "handler",
    [
        lambda _: httpx.Response(200, json={"features": [feature(1.44, 43.60, 0.2)]}),  # a poor match
        lambda _: httpx.Response(200, json={"features": []}),
        lambda _: httpx.Response(200, json={"features": [{"geometry": {}}]}),
        lambda _: httpx.Response(200, json={"features": [feature(1.44, 95.0, 0.9)]}),  # no such latitude
        lambda _: httpx.Response(200, text="<html>maintenance</html>"),
        lambda _: httpx.Response(503),
        lambda _: httpx.Response(429),
        _raise_timeout,
    ],
)
def test_every_failure_is_a_none(handler: Callable[[httpx.Request], httpx.Response]) -> None:
    assert ban(handler).geocode(CAPITOLE) is None


def test_a_too_short_query_is_not_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    assert ban(handler).geocode(AddressQuery("")) is None


def _csv_answer(request: httpx.Request) -> httpx.Response:
    """What BAN's /search/csv/ does: the uploaded CSV back, with latitude, longitude and a score."""
    body = request.read()
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts = [part for part in body.split(b"--" + boundary) if b'name="data"' in part]
    uploaded = parts[0].split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0].decode()
    rows = list(csv.DictReader(io.StringIO(uploaded)))
    out = io.StringIO()
    writer = csv.DictWriter(out, [*rows[0].keys(), "latitude", "longitude", "result_score"])
    writer.writeheader()
    for row in rows:
        known = row["address"] != "nowhere"
        lat, lon, score = ("43.6", "1.44", "0.9") if known else ("", "", "")
        writer.writerow({**row, "latitude": lat, "longitude": lon, "result_score": score})
    return httpx.Response(200, text=out.getvalue(), headers={"content-type": "text/csv"})


def test_a_batch_goes_in_csv_chunks_and_keeps_its_order() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        assert request.url.path == "/search/csv/"
        return _csv_answer(request)

    queries = [CAPITOLE, AddressQuery("nowhere", "31000"), CAPITOLE]
    found = ban(handler, chunk=2).geocode_many(queries)
    assert found == [Position(lat=43.6, lon=1.44), None, Position(lat=43.6, lon=1.44)]
    assert len(requests) == 2
    assert b'name="postcode"' in requests[0].content
    assert b"1 place du Capitole" in requests[0].content


def test_a_failed_batch_is_all_none() -> None:
    assert ban(lambda _: httpx.Response(502)).geocode_many([CAPITOLE, CAPITOLE]) == [None, None]
