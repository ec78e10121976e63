"""An editor's answer (a poll's or a push's mapped Bundle) applied to the `slots` table.

For each effecteur asked, over the window: the editor's slots replace what the platform held from that
editor (pattern 6), so a slot booked elsewhere disappears. Only effecteurs known to the directory who
declared this editor and did not refuse its display get slots; the slots of any other are rejected, one by
one with the reason, and never stored (and whatever that editor had left for them in the window is removed).

An SOS editor is asked about associations (SIRETs), not doctors: a site's slot is taken when its
association was asked, declared participation and listed this editor (`participation.rules.
polled_editors`); it is stored as the association's (`3` + SIRET) and replaces what that editor held for
the association over the window, exactly as for a doctor. The doctor on duty it names, if any, is kept on
the slot and, if the directory does not list them, made known from the editor's Practitioner (flagged).
Doctors' slots are never taken for a doctor the directory does not list.

The accepted slots' places are resolved against the owner's known places (sas_common.ingest.places): one
Query per owner asked reads their profile and places together, the places the editor makes known are
geocoded in one call and written in one batch, and each slot carries its stored place and position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from sas_common.effecteurs.model import Place
from sas_common.eligibility.evidence import record_editor_evidence
from sas_common.fhir.codes import siret_idnst, siret_of
from sas_common.fhir.model import EditorSlot, MappingResult, PractitionerName, Rejection, RejectionCode
from sas_common.geocoding import Geocoder
from sas_common.ingest.convert import editor_doctor, placed, to_slot
from sas_common.ingest.places import resolve_places
from sas_common.participation.rules import Declaration, StructureDeclaration, polled_editors, shown_editors
from sas_common.slots.model import Slot
from sas_common.slots.replacement import Replacement
from sas_common.tables import effecteur_pk, structure_pk
from sas_common.territory import EditorConfig, EditorKind

if TYPE_CHECKING:
    from sas_common.runtime import Runtime


@dataclass
class ApplySummary:
    accepted: list[EditorSlot] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    replaced: dict[str, Replacement] = field(default_factory=dict)  # by owner (`Slot.national_id`)
    places_created: int = 0  # places the editor's data made known (not in the directory)
    places_not_geocoded: int = 0  # of those, the ones left without a position
    doctors_created: int = 0  # SOS doctors on duty the directory does not list, made known

    def outcome_result(self) -> MappingResult:
        """As a mapping result, for `fhir.outcome.mapping_outcome` (rejections in entry order)."""
        return MappingResult(
            slots=sorted(self.accepted, key=lambda slot: slot.entry_index),
            rejected=sorted(self.rejected, key=lambda rejection: rejection.index),
        )

    def notes(self) -> list[str]:
        """What else the answer did, for the pushing editor's OperationOutcome."""
        notes = []
        removed = sum(replacement.deleted for replacement in self.replaced.values())
        if removed:
            notes.append(
                f"{removed} slot(s) held from this editor in the span and absent from the Bundle removed"
            )
        if self.places_created:
            notes.append(
                f"{self.places_created} place(s) not in the directory made known from this editor's data, "
                f"{self.places_not_geocoded} of them not geocoded (out of distance search)"
            )
        if self.doctors_created:
            notes.append(
                f"{self.doctors_created} doctor(s) on duty not in the directory made known from this "
                "editor's data"
            )
        return notes

    def as_dict(self) -> dict[str, int]:
        totals = {"accepted": len(self.accepted), "rejected": len(self.rejected)}
        for name in ("put", "updated", "deleted", "unchanged"):
            totals[name] = sum(getattr(replacement, name) for replacement in self.replaced.values())
        totals["places_created"] = self.places_created
        totals["places_not_geocoded"] = self.places_not_geocoded
        totals["doctors_created"] = self.doctors_created
        return totals


@dataclass
class Owner:
    """Someone asked of the editor, as the platform knows them."""

    owner_id: str  # the slots' owner (`Slot.national_id`): a national id, or `3` + SIRET
    pk: str  # their partition in `effecteurs`, which holds their places
    refusal: Rejection | None  # why their slots are not taken (index filled in per slot)
    replaced: bool  # whether the answer replaces their slots (an unknown one has none)
    places: list[Place] = field(default_factory=list)


def effecteur_owner(
    editor_id: str, national_id: str, *, known: bool, declaration: Declaration | None, places: list[Place]
) -> Owner:
    """A doctor asked: unknown to the directory (nothing of theirs is stored), not showing this editor
    (their slots of it go), or taken."""
    pk = effecteur_pk(national_id)
    if not known:
        reason = f"effecteur {national_id} is not in the directory"
        return Owner(national_id, pk, Rejection(-1, reason, RejectionCode.UNKNOWN_EFFECTEUR), False)
    if declaration is None or editor_id not in shown_editors(declaration):
        reason = f"effecteur {national_id} did not declare this editor"
        return Owner(national_id, pk, Rejection(-1, reason, RejectionCode.NOT_DECLARED), True)
    return Owner(national_id, pk, None, True, places)


def association_owner(editor_id: str, siret: str, declaration: StructureDeclaration | None) -> Owner:
    """An SOS association asked (by SIRET): taken when its participating declaration lists this editor;
    never declared, nothing of theirs can be stored; declared otherwise, what was stored goes. The places
    of a taken one are read by the caller."""
    number = siret_of(siret)
    if number is None:
        reason = f"{siret!r} is not an association's SIRET"
        return Owner(siret, structure_pk(siret), Rejection(-1, reason, RejectionCode.NOT_DECLARED), False)
    owner_id, pk = siret_idnst(number), structure_pk(number)
    if declaration is None or editor_id not in polled_editors(declaration):
        reason = f"association {number} did not declare participation with this editor"
        refusal = Rejection(-1, reason, RejectionCode.NOT_DECLARED)
        return Owner(owner_id, pk, refusal, declaration is not None)
    return Owner(owner_id, pk, None, True)


def _read_owner(rt: Runtime, editor: EditorConfig, key: str) -> Owner:
    """One Query for an owner's profile and places, and their declaration."""
    if editor.kind is EditorKind.SOS:
        number = siret_of(key)
        association = rt.participations.structure_declaration(number) if number else None
        owner = association_owner(editor.id, key, association)
        if owner.refusal is None:
            owner.places = rt.effecteurs.profile_and_places(owner.pk)[1]
        return owner
    known, places = rt.effecteurs.profile_and_places(effecteur_pk(key))
    declaration = rt.participations.declaration(key) if known else None
    return effecteur_owner(editor.id, key, known=known, declaration=declaration, places=places)


def asked_key(editor: EditorConfig, slot: EditorSlot) -> str | None:
    """Whom a slot is about, as the editor is asked: the association's SIRET (SOS), else the doctor."""
    if editor.kind is EditorKind.SOS:
        return slot.sos.siret if slot.sos is not None else None
    return slot.national_id


def named_in(editor: EditorConfig, slots: Sequence[EditorSlot]) -> list[str]:
    """Whom a pushed Bundle is about: the doctors, or an SOS editor's associations, in order."""
    return list(dict.fromkeys(key for slot in slots if (key := asked_key(editor, slot)) is not None))


def select_slots(
    editor: EditorConfig,
    result: MappingResult,
    owners: dict[str, Owner],
    window_start: datetime,
    window_end: datetime,
) -> tuple[list[tuple[Owner, EditorSlot, Slot]], list[Rejection]]:
    """Which of the answer's slots are taken, each with its owner and as a platform slot, and the
    rejections (the mapping's own first). Pure: the owners are read beforehand."""
    rejected = list(result.rejected)
    taken: list[tuple[Owner, EditorSlot, Slot]] = []
    for slot in result.slots:
        problem = _problem(editor, slot, owners, window_start, window_end)
        if problem is not None:
            rejected.append(Rejection(slot.entry_index, problem[1], problem[0]))
            continue
        try:
            converted = to_slot(editor, slot)
        except (ValueError, ValidationError) as exc:
            reason = f"slot {slot.slot_id}: {_short(exc)}"
            rejected.append(Rejection(slot.entry_index, reason, RejectionCode.INVALID_RESOURCE))
            continue
        key = asked_key(editor, slot)
        assert key is not None  # checked by _problem
        taken.append((owners[key], slot, converted))
    return taken, rejected


def apply_answer(
    rt: Runtime,
    editor: EditorConfig,
    asked: Sequence[str],
    window_start: datetime,
    window_end: datetime,
    result: MappingResult,
    *,
    geocoder: Geocoder | None = None,
    seen_at: datetime | None = None,
) -> ApplySummary:
    """Apply an editor's answer about `asked` over [window_start, window_end): national ids, or for an SOS
    editor association SIRETs.

    The mapping's own rejections are kept; a slot of an effecteur not asked, not in the directory, or who
    did not declare this editor is rejected (an association not asked, or that did not list this editor);
    a slot starting outside the window too. Every owner asked who is known then gets exactly the editor's
    accepted slots in the window (none: their slots go). The owners that got slots are recorded as having
    this editor's slots visible in the ISO week of `seen_at` (default now): indicator 8's evidence.
    """
    owners = {key: _read_owner(rt, editor, key) for key in dict.fromkeys(asked)}
    taken, rejected = select_slots(editor, result, owners, window_start, window_end)
    summary = ApplySummary(accepted=[slot for _, slot, _ in taken], rejected=rejected)
    sos = editor.kind is EditorKind.SOS
    if sos:
        summary.doctors_created = _make_doctors_known(rt, editor, summary.accepted)
    resolution = resolve_places(
        editor.id,
        [(owner.pk, slot.place) for owner, slot, _ in taken],
        {owner.pk: owner.places for owner in owners.values()},
        geocoder or rt.geocoder,
        by_structure=not sos,  # an association's sites all carry its SIRET
    )
    for pk, places in resolution.created.items():
        rt.effecteurs.put_places(pk, places)
    summary.places_created = resolution.places_created
    summary.places_not_geocoded = resolution.places_not_geocoded
    wanted: dict[str, list[Slot]] = {owner.owner_id: [] for owner in owners.values() if owner.replaced}
    for owner, slot, converted in taken:
        wanted[owner.owner_id].append(
            placed(converted, resolution.placement(editor.id, owner.pk, slot.place))
        )
    summary.replaced = rt.slots.replace_owners(editor.id, window_start, window_end, wanted)
    seen = {owner.pk: len(wanted[owner.owner_id]) for owner in owners.values() if wanted.get(owner.owner_id)}
    record_editor_evidence(rt, editor.id, seen, seen_at or datetime.now(UTC))
    return summary


def _make_doctors_known(rt: Runtime, editor: EditorConfig, slots: Sequence[EditorSlot]) -> int:
    """Profiles for the doctors on duty the directory does not list: one BatchGetItem, then a
    conditional put per doctor missing (never over a profile written meanwhile)."""
    named: dict[str, PractitionerName | None] = {}
    for slot in slots:
        if slot.national_id is not None and named.get(slot.national_id) is None:
            named[slot.national_id] = slot.practitioner
    if not named:
        return 0
    known = rt.effecteurs.existing_profiles(named)
    return sum(
        rt.effecteurs.create_profile(editor_doctor(editor.id, national_id, name))
        for national_id, name in named.items()
        if national_id not in known
    )


def _problem(
    editor: EditorConfig,
    slot: EditorSlot,
    owners: dict[str, Owner],
    window_start: datetime,
    window_end: datetime,
) -> tuple[RejectionCode, str] | None:
    key = asked_key(editor, slot)
    if key is None:
        if editor.kind is EditorKind.SOS:
            return RejectionCode.NO_ASSOCIATION, f"slot {slot.slot_id} names no association"
        return RejectionCode.NO_NATIONAL_ID, f"slot {slot.slot_id} names no doctor"
    owner = owners.get(key)
    if owner is None:
        whom = "association" if editor.kind is EditorKind.SOS else "effecteur"
        return RejectionCode.NOT_DECLARED, f"{whom} {key} was not asked of {editor.id}"
    if owner.refusal is not None:
        return owner.refusal.code, owner.refusal.reason
    if not window_start <= slot.start < window_end:
        return RejectionCode.OUTSIDE_WINDOW, f"slot {slot.slot_id} starts outside the window asked"
    return None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first.get('loc', ()))}: {first.get('msg')}"
    return str(exc)
