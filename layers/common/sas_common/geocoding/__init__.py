"""Geocoding the directory's addresses: a `Geocoder` is asked for positions, one or a batch at a time.

- `BanGeocoder`: the national address base (BAN) over HTTP, street level; production.
- `GazetteerGeocoder`: a committed table of French communes, commune level, offline; the local runtime and
  the tests, and production's fallback when BAN has no answer.

`SAS_GEOCODER` chooses (`ban` or `gazetteer`, default `gazetteer`): the stack sets `ban` on the functions
that import the directory; unset, as under the local runtime, nothing leaves the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sas_common.geocoding.ban import BAN_URL, BanGeocoder
from sas_common.geocoding.base import AddressQuery, CachedGeocoder, FallbackGeocoder, Geocoder
from sas_common.geocoding.gazetteer import Gazetteer, GazetteerGeocoder

GEOCODER_ENV = "SAS_GEOCODER"
BAN_URL_ENV = "SAS_BAN_URL"
BAN = "ban"
GAZETTEER = "gazetteer"

__all__ = [
    "BAN",
    "GAZETTEER",
    "GEOCODER_ENV",
    "AddressQuery",
    "BanGeocoder",
    "CachedGeocoder",
    "FallbackGeocoder",
    "Gazetteer",
    "GazetteerGeocoder",
    "Geocoder",
    "geocoder_from_environment",
]


def geocoder_from_environment(environ: Mapping[str, str] | None = None) -> CachedGeocoder:
    """The geocoder `SAS_GEOCODER` names, behind a cache (one per import: addresses repeat within a file)."""
    environ = os.environ if environ is None else environ
    kind = environ.get(GEOCODER_ENV, GAZETTEER).strip().lower() or GAZETTEER
    if kind == GAZETTEER:
        return CachedGeocoder(GazetteerGeocoder())
    if kind == BAN:
        ban = BanGeocoder(base_url=environ.get(BAN_URL_ENV, BAN_URL))
        return CachedGeocoder(FallbackGeocoder(ban, GazetteerGeocoder()))
    raise ValueError(f"{GEOCODER_ENV} must be '{BAN}' or '{GAZETTEER}', not {kind!r}")
