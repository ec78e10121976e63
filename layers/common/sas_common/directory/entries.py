"""From activity lines to directory entries: one effecteur, their places of practice.

The national file lists a professional's activities on consecutive lines (it is sorted by identifier),
so lines are grouped while the identifier stays the same and an entry is complete when it changes: one
entry in memory at a time. An identifier that comes back later makes a second entry for the same
effecteur, which the importer merges into what it stored (see importer.py).

A place's id is derived from the site's identity, so every import of the same site gives the same id and
agendas keep pointing at it: the structure's technical id, else its SIRET, else its FINESS, else (a site
with no structure id) its normalised address. An address is deliberately not part of a structure's place
id: a practice that moves keeps its id and its agenda, and only its address and position change.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sas_common.directory.extract import ActivityLine
from sas_common.geocoding.codes import normalise_name


def content_hash(values: dict[str, Any]) -> str:
    """A stable digest of an item's directory content: equal content, equal digest, across imports."""
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=8).hexdigest()


def site_identity(line: ActivityLine) -> str:
    for kind, value in (("structure", line.technical_id), ("siret", line.siret), ("finess", line.finess)):
        if value:
            return f"{kind}:{value}"
    return f"address:{normalise_name(line.address)}|{line.postal_code}|{line.commune_code}"


def place_id(line: ActivityLine) -> str:
    """13 characters of base32: short in keys and URLs, and collisions among a doctor's few places are
    out of reach (65 bits)."""
    digest = hashlib.blake2b(site_identity(line).encode(), digest_size=10).digest()
    return base64.b32encode(digest).decode().rstrip("=").lower()[:13]


@dataclass
class PlaceDraft:
    id: str
    name: str
    address: str
    postal_code: str
    commune_code: str
    city: str
    phone: str
    structure_ids: list[str]
    lines: int = 1

    @classmethod
    def of(cls, line: ActivityLine) -> PlaceDraft:
        return cls(
            id=place_id(line),
            name=line.site_name,
            address=line.address,
            postal_code=line.postal_code,
            commune_code=line.commune_code,
            city=line.city,
            phone=line.phone,
            structure_ids=list(line.structure_ids),
        )

    def absorb(self, other: PlaceDraft) -> None:
        """Another line (or entry) at the same site: fill what is missing, add structure ids."""
        self.name = self.name or other.name
        self.phone = self.phone or other.phone
        self.structure_ids += [sid for sid in other.structure_ids if sid not in self.structure_ids]
        self.lines += other.lines

    def attributes(self) -> dict[str, Any]:
        """The place's directory attributes, as a `Place` reads them (empty values as None)."""
        return {
            "id": self.id,
            "name": self.name or None,
            "address": self.address,
            "postal_code": self.postal_code or None,
            "city": self.city or None,
            "commune_code": self.commune_code or None,
            "phone": self.phone or None,
            "structure_ids": list(self.structure_ids),
        }


@dataclass
class DirectoryEntry:
    national_id: str
    last_name: str
    first_name: str
    profession_code: str
    specialty_code: str = ""
    specialty_label: str = ""
    phone: str = ""
    places: dict[str, PlaceDraft] = field(default_factory=dict)

    @classmethod
    def start(cls, line: ActivityLine) -> DirectoryEntry:
        entry = cls(line.national_id, line.last_name, line.first_name, line.profession_code)
        entry.add(line)
        return entry

    def add(self, line: ActivityLine) -> None:
        if not self.specialty_code and line.specialty_code:
            self.specialty_code, self.specialty_label = line.specialty_code, line.specialty_label
        self.phone = self.phone or line.phone
        self._add_place(PlaceDraft.of(line))

    def absorb(self, other: DirectoryEntry) -> None:
        """The same effecteur's lines found further on (an unsorted file): one entry for both."""
        self.specialty_code = self.specialty_code or other.specialty_code
        self.specialty_label = self.specialty_label or other.specialty_label
        self.phone = self.phone or other.phone
        for draft in other.places.values():
            self._add_place(draft)

    def _add_place(self, draft: PlaceDraft) -> None:
        if draft.id in self.places:
            self.places[draft.id].absorb(draft)
        else:
            self.places[draft.id] = draft

    @property
    def lines(self) -> int:
        return sum(draft.lines for draft in self.places.values())

    def attributes(self) -> dict[str, Any]:
        """The profile's directory attributes, as an `Effecteur` reads them (empty values as None)."""
        return {
            "national_id": self.national_id,
            "last_name": self.last_name,
            "first_name": self.first_name or None,
            "profession_code": self.profession_code or None,
            "specialty_code": self.specialty_code or None,
            "specialty_label": self.specialty_label or None,
            "phone": self.phone or None,
        }


class Grouper:
    """Consecutive lines of one identifier become one entry, handed out when the identifier changes."""

    def __init__(self) -> None:
        self._current: DirectoryEntry | None = None

    def add(self, line: ActivityLine) -> DirectoryEntry | None:
        current = self._current
        if current is not None and current.national_id == line.national_id:
            current.add(line)
            return None
        self._current = DirectoryEntry.start(line)
        return current

    def finish(self) -> DirectoryEntry | None:
        current, self._current = self._current, None
        return current
