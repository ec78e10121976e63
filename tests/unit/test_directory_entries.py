"""Grouping activity lines into effecteurs and places; stable place ids."""

from __future__ import annotations

from sas_common.directory.entries import DirectoryEntry, Grouper, place_id
from sas_common.directory.extract import ActivityLine, read_line
from sas_common.effecteurs.model import Effecteur, Place
from sas_local.extract_sample import doctor_line

RPPS = "10000000042"
OTHER = "10000000043"


def line(rpps: str = RPPS, *, at: int = 2, site: int = 0, **values: str) -> ActivityLine:
    parsed = read_line(doctor_line(rpps, site=site, **values), at, {"31"})
    assert isinstance(parsed, ActivityLine), parsed
    return parsed


def group(*lines: ActivityLine) -> list[DirectoryEntry]:
    grouper = Grouper()
    entries = [entry for entry in (grouper.add(activity) for activity in lines) if entry is not None]
    last = grouper.finish()
    return entries + ([last] if last else [])


def test_consecutive_lines_of_one_doctor_make_one_entry_with_a_place_per_site() -> None:
    entries = group(
        line(site=0),
        line(site=1, specialty="", specialty_label="", phone=""),
        line(site=0, at=4),  # a second activity at the first site
        line(OTHER),
    )
    assert [entry.national_id for entry in entries] == ["8" + RPPS, "8" + OTHER]
    first = entries[0]
    assert len(first.places) == 2
    assert [draft.lines for draft in first.places.values()] == [2, 1]
    assert first.lines == 3
    effecteur = Effecteur.model_validate(first.attributes())  # as the card reads it
    assert (effecteur.last_name, effecteur.specialty_code, effecteur.phone) == (
        "NOM0042",
        "SM54",
        "0500000042",
    )
    [blagnac_draft] = [d for d in first.places.values() if d.postal_code == "31700"]
    blagnac = Place.model_validate(blagnac_draft.attributes())
    assert (blagnac.commune_code, blagnac.city, blagnac.address) == (
        "31069",
        "BLAGNAC",
        "2 rue de la République",
    )
    assert blagnac.structure_ids == [f"R{RPPS}01"]
    assert blagnac.position is None


def test_specialty_and_phone_come_from_the_first_line_that_has_them() -> None:
    [entry] = group(line(specialty="", specialty_label="", phone=""), line(site=1, specialty="SM26"))
    assert (entry.specialty_code, entry.phone) == ("SM26", "0500000042")


def test_lines_at_one_site_merge_their_structure_ids() -> None:
    [entry] = group(line(siret="11111111100011"), line(finess="310000001"))
    [draft] = entry.places.values()
    assert draft.structure_ids == ["11111111100011", f"R{RPPS}00", "310000001"]


def test_a_place_id_is_stable_and_follows_the_structure_not_its_address() -> None:
    at_home = line()
    moved = line(street_number="99", street="des Lilas", postal_code="31400")
    assert place_id(at_home) == place_id(line(street_number="5")) == place_id(moved)
    assert len(place_id(at_home)) == 13
    assert place_id(at_home) != place_id(line(site=1))
    assert place_id(line(technical_id="", siret="11111111100011")) != place_id(at_home)


def test_without_a_structure_id_the_address_makes_the_place() -> None:
    bare = place_id(line(technical_id=""))
    assert bare == place_id(line(technical_id="", street="DE LA REPUBLIQUE"))  # normalised
    assert bare != place_id(line(technical_id="", street_number="7"))


def test_an_identifier_that_comes_back_makes_a_second_entry_merged_by_absorb() -> None:
    first, other, again = group(line(site=0), line(OTHER), line(site=1, at=9))
    assert first.national_id == again.national_id
    first.absorb(again)
    assert len(first.places) == 2
    assert other.national_id == "8" + OTHER
