"""What every geocoder offers, and the wrappers that combine them (a cache, a fallback chain)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sas_common.effecteurs.model import Position


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """An address as the directory gives it: street part, postal code, INSEE commune code, city."""

    address: str
    postal_code: str | None = None
    commune_code: str | None = None
    city: str | None = None


class Geocoder(Protocol):
    def geocode(self, query: AddressQuery) -> Position | None:
        """The position of the address, or None when it cannot be found (never raises for that)."""
        ...

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        """The positions of several addresses, in order; a batch API may answer them in one call."""
        ...


class OneByOne:
    """`geocode_many` for geocoders without a batch API."""

    def geocode(self, query: AddressQuery) -> Position | None:
        raise NotImplementedError

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        return [self.geocode(query) for query in queries]


class FallbackGeocoder(OneByOne):
    """Asks each geocoder in turn for the addresses the previous ones could not place."""

    def __init__(self, *geocoders: Geocoder) -> None:
        if not geocoders:
            raise ValueError("a fallback chain needs at least one geocoder")
        self.geocoders = geocoders

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.geocode_many([query])[0]

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        found: list[Position | None] = [None] * len(queries)
        missing = list(range(len(queries)))
        for geocoder in self.geocoders:
            if not missing:
                break
            answers = geocoder.geocode_many([queries[i] for i in missing])
            for i, answer in zip(missing, answers, strict=True):
                found[i] = answer
            missing = [i for i in missing if found[i] is None]
        return found


class CachedGeocoder(OneByOne):
    """Remembers answers (None included) for the most recent `max_entries` addresses: the doctors of one
    site share its address, and a batch asks the inner geocoder only once per distinct address."""

    def __init__(self, inner: Geocoder, max_entries: int = 20_000) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self._answers: OrderedDict[AddressQuery, Position | None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.geocode_many([query])[0]

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        known: dict[AddressQuery, Position | None] = {}
        for query in queries:
            if query in self._answers:
                self._answers.move_to_end(query)
                known[query] = self._answers[query]
        unknown = [query for query in dict.fromkeys(queries) if query not in known]
        self.hits += len(queries) - len(unknown)
        self.misses += len(unknown)
        fresh = dict(zip(unknown, self.inner.geocode_many(unknown), strict=True)) if unknown else {}
        for query, answer in fresh.items():
            self._remember(query, answer)
        return [known[query] if query in known else fresh[query] for query in queries]

    def _remember(self, query: AddressQuery, answer: Position | None) -> None:
        self._answers[query] = answer
        while len(self._answers) > self.max_entries:
            self._answers.popitem(last=False)
