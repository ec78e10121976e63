"""The offline gazetteer, the cache, the fallback chain and the choice by environment."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sas_common import geo
from sas_common.effecteurs.model import Position
from sas_common.geocoding import (
    AddressQuery,
    BanGeocoder,
    CachedGeocoder,
    FallbackGeocoder,
    GazetteerGeocoder,
    geocoder_from_environment,
)
from sas_common.geocoding.base import OneByOne
from sas_common.geocoding.codes import department_of_commune, department_of_postal_code, normalise_name

TOULOUSE = Position(lat=43.6043, lon=1.4437)
GAZETTEER = GazetteerGeocoder()


def near(found: Position | None, expected: Position, km: float = 5) -> bool:
    return found is not None and geo.distance_km(found, expected) <= km


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AddressQuery("1 place du Capitole", "31000", "31555", "TOULOUSE"), TOULOUSE),
        (AddressQuery("", commune_code="31555"), TOULOUSE),
        (AddressQuery("", postal_code="31000"), TOULOUSE),
        (AddressQuery("", postal_code="31400"), TOULOUSE),
        (AddressQuery("", postal_code="31700"), Position(lat=43.637, lon=1.390)),  # Blagnac
        (AddressQuery("", postal_code="31035", city="Toulouse"), TOULOUSE),  # a CEDEX: by name
        (AddressQuery("", postal_code="31999", city="ST JEAN"), Position(lat=43.665, lon=1.505)),
        (AddressQuery("", commune_code="75056"), Position(lat=48.8534, lon=2.3488)),  # Paris
        (AddressQuery("", postal_code="75011"), Position(lat=48.859, lon=2.380)),  # its 11th arrondissement
        (AddressQuery("", commune_code="69123"), Position(lat=45.749, lon=4.848)),  # Lyon
        (AddressQuery("", commune_code="13055"), Position(lat=43.297, lon=5.381)),  # Marseille
        (AddressQuery("", commune_code="33063"), Position(lat=44.838, lon=-0.579)),  # Bordeaux
        (AddressQuery("", commune_code="59350"), Position(lat=50.633, lon=3.059)),  # Lille
        (AddressQuery("", commune_code="97411"), Position(lat=-20.882, lon=55.450)),  # Saint-Denis (Réunion)
    ],
)
def test_the_gazetteer_places_communes(query: AddressQuery, expected: Position) -> None:
    assert near(GAZETTEER.geocode(query), expected)


def test_every_commune_of_haute_garonne_is_in_the_gazetteer() -> None:
    codes = [code for code in GAZETTEER.gazetteer.by_commune if code.startswith("31")]
    assert len(codes) >= 580  # 586 communes
    haute_garonne = Position(lat=43.4, lon=1.1)
    positions = [
        Position(lat=lat, lon=lon) for lat, lon in (GAZETTEER.gazetteer.by_commune[c] for c in codes)
    ]
    assert all(near(position, haute_garonne, km=120) for position in positions)


@pytest.mark.parametrize(
    "query",
    [
        AddressQuery("nowhere", "00000", "00000", "NOWHERE"),
        AddressQuery("", commune_code="31999"),
        AddressQuery("", postal_code="31999", city="Atlantis"),
        AddressQuery(""),
    ],
)
def test_the_gazetteer_answers_none_for_an_unknown_commune(query: AddressQuery) -> None:
    assert GAZETTEER.geocode(query) is None


@pytest.mark.parametrize(
    ("code", "department"), [("31555", "31"), ("2A004", "2A"), ("97411", "974"), ("3155", None), ("", None)]
)
def test_department_of_a_commune(code: str, department: str | None) -> None:
    assert department_of_commune(code) == department


@pytest.mark.parametrize(
    ("code", "department"),
    [("31000", "31"), ("20090", "2A"), ("20600", "2B"), ("97400", "974"), ("31 000", None)],
)
def test_department_of_a_postal_code(code: str, department: str | None) -> None:
    assert department_of_postal_code(code) == department


def test_names_are_normalised_alike() -> None:
    assert normalise_name("Saint-Jean") == normalise_name("ST JEAN") == "ST JEAN"
    assert normalise_name("Sainte-Foy-d'Aigrefeuille") == "STE FOY D AIGREFEUILLE"


class Recording(OneByOne):
    def __init__(self, answers: dict[str, Position | None]) -> None:
        self.answers = answers
        self.asked: list[list[str]] = []

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.answers.get(query.address)

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        self.asked.append([query.address for query in queries])
        return super().geocode_many(queries)


def test_the_cache_asks_each_distinct_address_once() -> None:
    inner = Recording({"a": TOULOUSE})
    cached = CachedGeocoder(inner, max_entries=2)
    a, b = AddressQuery("a"), AddressQuery("b")
    assert cached.geocode_many([a, b, a]) == [TOULOUSE, None, TOULOUSE]
    assert cached.geocode_many([a, b]) == [TOULOUSE, None]  # a None is remembered too
    assert inner.asked == [["a", "b"]]
    assert (cached.hits, cached.misses) == (3, 2)
    cached.geocode(AddressQuery("c"))  # the least recently used entry (a) goes
    cached.geocode(b)
    cached.geocode(a)
    assert inner.asked == [["a", "b"], ["c"], ["a"]]


def test_the_fallback_asks_the_next_geocoder_only_for_what_is_missing() -> None:
    first, second = Recording({"a": TOULOUSE}), Recording({"b": TOULOUSE})
    chain = FallbackGeocoder(first, second)
    assert chain.geocode_many([AddressQuery("a"), AddressQuery("b"), AddressQuery("c")]) == [
        TOULOUSE,
        TOULOUSE,
        None,
    ]
    assert second.asked == [["b", "c"]]


def test_the_environment_chooses_the_geocoder() -> None:
    assert isinstance(geocoder_from_environment({}).inner, GazetteerGeocoder)
    assert isinstance(geocoder_from_environment({"SAS_GEOCODER": "gazetteer"}).inner, GazetteerGeocoder)
    chain = geocoder_from_environment({"SAS_GEOCODER": "ban", "SAS_BAN_URL": "https://ban.test"}).inner
    assert isinstance(chain, FallbackGeocoder)
    ban, gazetteer = chain.geocoders
    assert isinstance(ban, BanGeocoder)
    assert ban.base_url == "https://ban.test"
    assert isinstance(gazetteer, GazetteerGeocoder)
    with pytest.raises(ValueError, match="SAS_GEOCODER must be 'ban' or 'gazetteer'"):
        geocoder_from_environment({"SAS_GEOCODER": "google"})
