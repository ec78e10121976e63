"""Importing the national directory extract on the local platform (moto): the route, idempotent and
non-destructive re-imports, places no longer listed, unsorted files, geocoding gaps, and the S3 path."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from sas_common import geo
from sas_common.directory import DirectoryImport, ImportSummary
from sas_common.directory.entries import place_id
from sas_common.directory.extract import ActivityLine, read_line
from sas_common.effecteurs.model import Position
from sas_common.geocoding import AddressQuery, GazetteerGeocoder
from sas_common.geocoding.base import OneByOne
from sas_common.runtime import Runtime
from sas_common.stores.effecteurs import PROFILE
from sas_common.tables import EFFECTEURS, PARTICIPATIONS, PK, SK, effecteur_pk
from sas_local.extract_sample import HEADER, doctor_line
from sas_local.lambdas import LambdaContext
from sas_local.platform import LocalPlatform
from support import Client

TERRITORY = ("31",)
GAZETTEER = GazetteerGeocoder()


def extract(*lines: str) -> list[str]:
    return [HEADER, *lines]


def importer(rt: Runtime, geocoder: Any = GAZETTEER, **options: Any) -> DirectoryImport:
    """An import into the platform's table for the test's own departments and geocoder."""
    return DirectoryImport(TERRITORY, geocoder, rt.effecteurs.directory_table(), **options)


def run(rt: Runtime, lines: Sequence[str], geocoder: Any = GAZETTEER) -> ImportSummary:
    return importer(rt, geocoder).run(lines)


def items(rt: Runtime, national_id: str) -> dict[str, dict[str, Any]]:
    found = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)).query(
        KeyConditionExpression=Key(PK).eq(effecteur_pk(national_id))
    )
    return {str(item[SK]): item for item in found["Items"]}


def place_id_of(text: str) -> str:
    line = read_line(text, 2, set(TERRITORY))
    assert isinstance(line, ActivityLine)
    return place_id(line)


def place_sk(rpps: str, site: int = 0) -> str:
    return f"PLACE#{place_id_of(doctor_line(rpps, site=site))}"


def post(client: Client, body: str, token: str | None) -> Any:
    return client.post(
        "/directory/imports", body=body.encode(), headers={"content-type": "text/plain"}, token=token
    )


# --- the route ------------------------------------------------------------------------------------------


def test_an_admin_imports_an_extract_and_gets_a_summary(client: Client) -> None:
    body = "\n".join(
        extract(
            doctor_line("20000000001", site=0),
            doctor_line("20000000001", site=1),
            doctor_line("20000000002", department="33"),
            doctor_line("20000000003", last_name=""),
        )
    )
    response = post(client, body + "\n", client.token("territory_admin", "admin-1"))
    assert response.status == 200, response.body
    summary = response.json()
    assert {key: summary[key] for key in ("lines", "imported", "unchanged", "skipped", "not_geocoded")} == {
        "lines": 4,
        "imported": 2,
        "unchanged": 0,
        "skipped": 1,
        "not_geocoded": 0,
    }
    assert summary["rejected"] == [{"line": 5, "reason": "Nom d'exercice is empty"}]
    assert (summary["rejected_total"], summary["effecteurs"], summary["places"]) == (1, 1, 2)

    card = client.get("/effecteurs/820000000001", token=client.token("regulator", "reg-1")).json()
    assert card["last_name"] == "NOM0001"
    assert {place["city"] for place in card["places"]} == {"TOULOUSE", "BLAGNAC"}
    assert all(place["position"] for place in card["places"])


def test_only_a_territory_admin_may_import(client: Client) -> None:
    body = "\n".join(extract(doctor_line("20000000010")))
    refused = post(client, body, client.token("effecteur", "820000000010"))
    assert refused.status == 403
    assert refused.json()["error"] == "forbidden"
    assert post(client, body, client.token("regulator", "reg-1")).status == 403
    assert post(client, body, None).status == 401


def test_a_wrong_header_refuses_the_whole_file_naming_the_column(client: Client, rt: Runtime) -> None:
    body = "\n".join([HEADER.replace("Code postal (coord. structure)", "CP"), doctor_line("20000000011")])
    response = post(client, body, client.token("territory_admin", "admin-1"))
    assert response.status == 400
    error = response.json()
    assert "header column 36 should be 'Code postal (coord. structure)', found 'CP'" in error["message"]
    assert error["field"] == "Code postal (coord. structure)"
    assert items(rt, "820000000011") == {}


# --- idempotent, non-destructive ------------------------------------------------------------------------


def test_reimporting_the_same_file_writes_nothing(rt: Runtime) -> None:
    lines = extract(
        doctor_line("20000000020", site=0),
        doctor_line("20000000020", site=1),
        doctor_line("20000000021", phone=""),
    )
    first = run(rt, lines)
    assert (first.imported, first.unchanged, first.writes) == (3, 0, 5)  # 2 profiles, 3 places
    before = items(rt, "820000000020") | items(rt, "820000000021")

    again = run(rt, lines)

    assert (again.imported, again.unchanged, again.writes, again.not_geocoded) == (0, 3, 0, 0)
    assert items(rt, "820000000020") | items(rt, "820000000021") == before


def test_places_carry_their_position_cell_and_bookkeeping(rt: Runtime) -> None:
    run(rt, extract(doctor_line("20000000025", street_number="12", siret="12345678900011")))
    stored = items(rt, "820000000025")
    place = stored[place_sk("20000000025")]
    position = Position(lat=float(place["position"]["lat"]), lon=float(place["position"]["lon"]))
    assert geo.distance_km(position, Position(lat=43.6043, lon=1.4437)) < 1
    assert place["cell"] == geo.cell_of(position)
    assert (place["geocoded"], place["in_directory"]) == (True, True)
    assert place["address"] == "12 rue de la République"
    assert place["structure_ids"] == ["12345678900011", "R2000000002500"]
    assert stored[PROFILE]["dir_places"] == {place["id"]}
    assert "regulator_info" not in stored[PROFILE]


def test_a_newer_file_updates_directory_fields_and_keeps_what_others_wrote(rt: Runtime) -> None:
    rpps, national_id = "20000000030", "820000000030"
    run(rt, extract(doctor_line(rpps, site=0), doctor_line(rpps, site=1)))
    kept_place = place_sk(rpps, site=0)
    table = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS))
    info = {"text": "Appeler le secrétariat", "phones": ["0611223344"]}
    table.update_item(
        Key={PK: effecteur_pk(national_id), SK: PROFILE},
        UpdateExpression="SET regulator_info = :info",
        ExpressionAttributeValues={":info": info},
    )
    table.update_item(  # what participation sets on a place for the en-sus directory
        Key={PK: effecteur_pk(national_id), SK: kept_place},
        UpdateExpression="SET ensus_cell = :c, ensus_sk = :s",
        ExpressionAttributeValues={":c": "841f91fffffffff", ":s": f"{national_id}#x"},
    )
    declaration: dict[str, Any] = {PK: effecteur_pk(national_id), SK: "DECL#CURRENT", "participates": True}
    participations = rt.aws.dynamodb.Table(rt.settings.table_name(PARTICIPATIONS))
    participations.put_item(Item=declaration)

    moved = doctor_line(rpps, site=0, phone="0562000000", specialty="SM26", street_number="7")
    newer = run(rt, extract(moved))

    assert newer.withdrawn_places == 1
    stored = items(rt, national_id)
    profile = stored[PROFILE]
    assert (profile["phone"], profile["specialty_code"]) == ("0562000000", "SM26")
    assert profile["regulator_info"] == info
    assert profile["dir_places"] == {kept_place.removeprefix("PLACE#")}
    place = stored[kept_place]
    assert place["address"] == "7 rue de la République"
    assert (place["ensus_cell"], place["in_directory"]) == ("841f91fffffffff", True)
    gone = stored[place_sk(rpps, site=1)]  # no longer listed: kept, marked
    assert gone["in_directory"] is False
    assert gone["city"] == "BLAGNAC"
    participation = participations.get_item(Key={PK: declaration[PK], SK: declaration[SK]})
    assert participation["Item"] == declaration

    back = run(rt, extract(moved, doctor_line(rpps, site=1)))
    assert back.withdrawn_places == 0
    assert items(rt, national_id)[place_sk(rpps, site=1)]["in_directory"] is True
    assert items(rt, national_id)[PROFILE]["regulator_info"] == info


def test_an_unsorted_file_gives_the_same_result_and_its_reimport_writes_nothing(
    rt: Runtime,
) -> None:
    a, b = "20000000040", "20000000041"
    lines = extract(doctor_line(a, site=0), doctor_line(b), doctor_line(a, site=1), doctor_line(b, site=2))
    first = importer(rt, batch_size=1).run(lines)  # the two halves in different batches
    assert (first.effecteurs, first.imported, first.withdrawn_places) == (2, 4, 0)
    assert len([sk for sk in items(rt, "8" + a) if sk.startswith("PLACE#")]) == 2
    assert len(items(rt, "8" + a)[PROFILE]["dir_places"]) == 2

    again = importer(rt, batch_size=1).run(lines)
    assert (again.writes, again.unchanged, again.withdrawn_places) == (0, 4, 0)
    within_one_batch = importer(rt, batch_size=100).run(lines)
    assert (within_one_batch.writes, within_one_batch.unchanged) == (0, 4)


class FixedGeocoder(OneByOne):
    def __init__(self, position: Position | None) -> None:
        self.position = position
        self.asked: list[AddressQuery] = []

    def geocode(self, query: AddressQuery) -> Position | None:
        self.asked.append(query)
        return self.position


def test_a_place_that_cannot_be_geocoded_is_imported_without_position_then_placed_later(
    rt: Runtime,
) -> None:
    rpps = "20000000050"
    nowhere = doctor_line(rpps, postal_code="31999", commune_code="31999", city="ATLANTIS")
    lines = extract(nowhere)
    place = f"PLACE#{place_id_of(nowhere)}"
    first = run(rt, lines)
    assert (first.imported, first.not_geocoded) == (1, 1)
    stored = items(rt, "8" + rpps)[place]
    assert stored["geocoded"] is False
    assert "position" not in stored
    assert "cell" not in stored

    still_lost = FixedGeocoder(None)
    assert run(rt, lines, still_lost).writes == 0  # asked again, nothing to write
    assert len(still_lost.asked) == 1

    found = run(rt, lines, FixedGeocoder(Position(lat=43.5, lon=1.5)))
    assert (found.writes, found.not_geocoded) == (1, 0)
    stored = items(rt, "8" + rpps)[place]
    assert (stored["geocoded"], stored["cell"]) == (True, geo.cell_of(Position(lat=43.5, lon=1.5)))

    settled = FixedGeocoder(None)
    assert run(rt, lines, settled).writes == 0
    assert settled.asked == []  # an unchanged, placed address is never geocoded again


def test_rejections_are_capped_but_counted(rt: Runtime) -> None:
    lines = extract(*[doctor_line(f"2000000{n:04d}", id_type="9") for n in range(60, 75)])
    summary = importer(rt, max_rejections=10).run(lines)
    assert summary.rejected_total == 15
    assert [r.line for r in summary.rejected] == list(range(2, 12))


# --- the S3 path ----------------------------------------------------------------------------------------


@pytest.fixture
def bucket(platform: LocalPlatform) -> str:
    name = "sas-local-directory-imports"
    s3 = boto3.client("s3")
    if name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return name


def eventbridge_event(bucket: str, key: str) -> dict[str, Any]:
    """What the stack's rule delivers: S3's `Object Created` event through EventBridge."""
    return {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": 1}},
    }


def notification_event(bucket: str, key: str) -> dict[str, Any]:
    """An S3 event notification (if ops wire the bucket to the function directly)."""
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": 1}},
            }
        ]
    }


@pytest.mark.parametrize("event", [eventbridge_event, notification_event])
def test_an_extract_dropped_in_the_bucket_is_imported_as_a_stream(
    rt: Runtime, bucket: str, event: Callable[[str, str], dict[str, Any]]
) -> None:
    lines = extract(*[doctor_line(f"2100000{n:04d}", site=n % 2) for n in range(300)])
    key = "imports/2026 11/extract.txt"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body="\r\n".join(lines).encode())

    handler = importlib.import_module("agenda.handler")  # once the platform has set the environment
    answer = handler.directory_import_s3_handler(event(bucket, key), LambdaContext("agenda"))

    [done] = answer["imports"]
    assert (done["key"], done["summary_key"]) == (key, "summaries/2026 11/extract.txt.json")
    assert (done["lines"], done["effecteurs"], done["rejected_total"]) == (300, 300, 0)
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=done["summary_key"])["Body"].read()
    assert json.loads(stored)["lines"] == 300
    assert items(rt, "821000000299")[PROFILE]["last_name"] == "NOM0299"
