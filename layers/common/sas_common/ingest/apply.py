"""An editor's answer (a poll's or a push's mapped Bundle) applied to the `slots` table.

For each effecteur asked, over the window: the editor's slots replace what the platform held from that
editor (pattern 6), so a slot booked elsewhere disappears. Only effecteurs known to the directory who
declared this editor and did not refuse its display get slots; the slots of any other are rejected, one by
one with the reason, and never stored (and whatever that editor had left for them in the window is removed).

Left for later (issue 4): effecteurs unknown to the directory are rejected, not created and flagged from
the editor's data; SOS site slots that name no doctor are rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from sas_common import storage
from sas_common.effecteurs.store import PROFILE, effecteur_pk
from sas_common.fhir.model import EditorSlot, MappingResult, Rejection, RejectionCode
from sas_common.ingest.convert import to_slot
from sas_common.participation import store as declarations
from sas_common.participation.rules import shown_editors
from sas_common.settings import get_settings
from sas_common.slots.model import Slot
from sas_common.slots.store import Replacement, replace_slots
from sas_common.tables import EFFECTEURS, PK, SK
from sas_common.territory import EditorConfig


@dataclass
class ApplySummary:
    accepted: list[EditorSlot] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    replaced: dict[str, Replacement] = field(default_factory=dict)  # by national id

    def outcome_result(self) -> MappingResult:
        """As a mapping result, for `fhir.outcome.mapping_outcome` (rejections in entry order)."""
        return MappingResult(
            slots=sorted(self.accepted, key=lambda slot: slot.entry_index),
            rejected=sorted(self.rejected, key=lambda rejection: rejection.index),
        )

    def as_dict(self) -> dict[str, int]:
        totals = {"accepted": len(self.accepted), "rejected": len(self.rejected)}
        for name in ("put", "updated", "deleted", "unchanged"):
            totals[name] = sum(getattr(replacement, name) for replacement in self.replaced.values())
        return totals


def known_effecteur(national_id: str) -> bool:
    """Is the effecteur in the directory: one GetItem on its profile, keys only."""
    found = storage.table(EFFECTEURS).get_item(
        Key={PK: effecteur_pk(national_id), SK: PROFILE},
        ProjectionExpression="#pk",
        ExpressionAttributeNames={"#pk": PK},
    )
    return "Item" in found


def _refusal(editor_id: str, national_id: str) -> Rejection | None:
    """Why this editor's slots of this effecteur are not taken (index filled in by the caller), or None."""
    if not known_effecteur(national_id):
        return Rejection(
            -1, f"effecteur {national_id} is not in the directory", RejectionCode.UNKNOWN_EFFECTEUR
        )
    declaration = declarations.current(national_id)
    if declaration is None or editor_id not in shown_editors(declaration):
        return Rejection(
            -1, f"effecteur {national_id} did not declare this editor", RejectionCode.NOT_DECLARED
        )
    return None


def apply_answer(
    editor: EditorConfig,
    national_ids: Sequence[str],
    window_start: datetime,
    window_end: datetime,
    result: MappingResult,
) -> ApplySummary:
    """Apply an editor's answer about `national_ids` over [window_start, window_end).

    The mapping's own rejections are kept; a slot of an effecteur not asked, not in the directory, or who
    did not declare this editor is rejected; a slot starting outside the window too. Every effecteur asked
    who is known then gets exactly the editor's accepted slots in the window (none: their slots go).
    """
    summary = ApplySummary(rejected=list(result.rejected))
    asked = list(dict.fromkeys(national_ids))
    refusals = {national_id: _refusal(editor.id, national_id) for national_id in asked}
    wanted: dict[str, list[Slot]] = {national_id: [] for national_id in asked}
    for slot in result.slots:
        problem = _problem(editor, slot, refusals, window_start, window_end)
        if problem is not None:
            summary.rejected.append(Rejection(slot.entry_index, problem[1], problem[0]))
            continue
        try:
            converted = to_slot(editor, slot)
        except (ValueError, ValidationError) as exc:
            summary.rejected.append(
                Rejection(
                    slot.entry_index, f"slot {slot.slot_id}: {_short(exc)}", RejectionCode.INVALID_RESOURCE
                )
            )
            continue
        assert slot.national_id is not None  # checked by _problem
        wanted[slot.national_id].append(converted)
        summary.accepted.append(slot)
    zone = get_settings().territory.zone
    for national_id, refusal in refusals.items():
        if refusal is not None and refusal.code is RejectionCode.UNKNOWN_EFFECTEUR:
            continue  # nothing of theirs can be in the table
        summary.replaced[national_id] = replace_slots(
            editor.id, national_id, window_start, window_end, wanted[national_id], zone
        )
    return summary


def _problem(
    editor: EditorConfig,
    slot: EditorSlot,
    refusals: dict[str, Rejection | None],
    window_start: datetime,
    window_end: datetime,
) -> tuple[RejectionCode, str] | None:
    if slot.national_id is None:
        return RejectionCode.NO_NATIONAL_ID, f"slot {slot.slot_id} names no doctor (SOS sites: not yet taken)"
    if slot.national_id not in refusals:
        return RejectionCode.NOT_DECLARED, f"effecteur {slot.national_id} was not asked of {editor.id}"
    refusal = refusals[slot.national_id]
    if refusal is not None:
        return refusal.code, refusal.reason
    if not window_start <= slot.start < window_end:
        return RejectionCode.OUTSIDE_WINDOW, f"slot {slot.slot_id} starts outside the window asked"
    return None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first.get('loc', ()))}: {first.get('msg')}"
    return str(exc)
