"""A saved version of a declaration (every save is one; history is kept)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sas_common.tables import EFFECTEUR_PREFIX, STRUCTURE_PREFIX


@dataclass(frozen=True)
class Saved:
    """A stored version: the declaration, its number, when and by whom, and the reset it answers to."""

    owner: str  # the owner's partition: EFF#<national id> or STRUCT#<structure id>
    version: int
    content: dict[str, Any]
    saved_at: str
    saved_by: str
    reset_id: str | None = None

    @property
    def national_id(self) -> str | None:
        """The effecteur's national id, None for a structure's declaration."""
        return self.owner.removeprefix(EFFECTEUR_PREFIX) if self.owner.startswith(EFFECTEUR_PREFIX) else None

    @property
    def structure_id(self) -> str | None:
        return self.owner.removeprefix(STRUCTURE_PREFIX) if self.owner.startswith(STRUCTURE_PREFIX) else None
