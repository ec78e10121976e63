"""Editors' appointment records (flow INT_R03) in the `orientations` table (pattern 11).

    APPT#<editor id>#<sha256(system|value)[:32]> / META          the record as it is now (+ `version`)
    APPT#<editor id>#<sha256(system|value)[:32]> / STATUS#<at>#<version>   one item per status taken

The key is the editor's business identifier, so the same create replayed finds the record already there
(the META put is conditioned on `attribute_not_exists`) and writes nothing. Every write is one
transaction: META (conditioned on the version it replaces) and, when the status changes, a STATUS item.
META carries `effecteur_pk`/`at_sk` (index `by_effecteur`, patterns 12 and 14); STATUS items do not, so
the index lists each record once. Nothing about the patient is stored: `parse_appointment` drops it, and
only the fields below are written.

The public id (`Location: /fhir/Appointment/<id>`) is the identifier hash: FHIR ids are at most 64
characters, and an editor's system (its own OID) makes the value unique across editors in practice.
A record is linked to the platform's own booking of the same slot (sas_common.orientations.links): once
both have come, whichever first, the record's META carries `booking_id`, and keeps it through updates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.errors import Conflict
from sas_common.fhir.appointment import AppointmentRecord, Identifier
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.orientations import links
from sas_common.tables import ORIENTATIONS, PK, SK

APPT_PREFIX = "APPT#"
META = "META"
STATUS_PREFIX = "STATUS#"
LOCATION_PREFIX = "/fhir/Appointment/"


def identifier_hash(system: str | None, value: str) -> str:
    return hashlib.sha256(f"{system or ''}|{value}".encode()).hexdigest()[:32]


def record_pk(editor_id: str, identifier: Identifier) -> str:
    return _pk(editor_id, identifier_hash(identifier.system, identifier.value))


def _pk(editor_id: str, appointment_id: str) -> str:
    """A record's partition from its public id (the identifier's hash), among its editor's records."""
    return f"{APPT_PREFIX}{editor_id}#{appointment_id}"


def _appointment_id(pk: str) -> str:
    return pk.rsplit("#", 1)[1]


def location(identifier: Identifier) -> str:
    return LOCATION_PREFIX + identifier_hash(identifier.system, identifier.value)


@dataclass(frozen=True)
class Stored:
    location: str
    created: bool  # the record did not exist
    changed: bool  # something was written
    version: int
    status: str


def _text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def _now_text(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _content(record: AppointmentRecord) -> dict[str, Any]:
    """What is kept of a record: the editor's identifier, the doctor, the operator, times and status."""
    content: dict[str, Any] = {
        "identifier_system": record.identifier.system,
        "identifier_value": record.identifier.value,
        "identifier_type": record.identifier.type_code,
        "status": record.status.value,
        "start": _text(record.start),
        "end": _text(record.end),
        "created": _text(record.created),
        "national_id": record.national_id,
        "editor_resource_id": record.editor_id,
        "slot_references": list(record.slot_references) or None,
    }
    if record.operator is not None:
        content["operator_system"] = record.operator.system
        content["operator_value"] = record.operator.value
        content["operator_type"] = record.operator.type_code
    return {name: value for name, value in content.items() if value is not None}


def _meta_item(
    editor_id: str, record: AppointmentRecord, pk: str, version: int, now: str, received: str, at: str
) -> dict[str, Any]:
    return {
        PK: pk,
        SK: META,
        **_content(record),
        "editor_id": editor_id,
        "appointment_id": location(record.identifier).removeprefix(LOCATION_PREFIX),
        "version": version,
        "received_at": received,
        "updated_at": now,
        "effecteur_pk": f"EFF#{record.national_id}",
        "at_sk": f"{at}#{pk}",
    }


def _status_item(pk: str, record: AppointmentRecord, version: int, now: str) -> dict[str, Any]:
    item = {PK: pk, SK: f"{STATUS_PREFIX}{now}#{version:06d}", "status": record.status.value, "at": now}
    item.update({k: v for k, v in (("start", _text(record.start)), ("end", _text(record.end))) if v})
    return item


def load(editor_id: str, identifier: Identifier) -> dict[str, Any] | None:
    found = storage.table(ORIENTATIONS).get_item(
        Key={PK: record_pk(editor_id, identifier), SK: META}, ConsistentRead=True
    )
    return found.get("Item")


def load_by_id(editor_id: str, appointment_id: str) -> dict[str, Any] | None:
    """A record by the id its Location carries, among this editor's only (the id is the identifier's hash)."""
    found = storage.table(ORIENTATIONS).get_item(
        Key={PK: _pk(editor_id, appointment_id), SK: META}, ConsistentRead=True
    )
    return found.get("Item")


def as_fhir(item: dict[str, Any]) -> dict[str, Any]:
    """The stored record as an Appointment: what the platform holds (nothing of the patient: it has none)."""
    identifier = {"system": item.get("identifier_system"), "value": item["identifier_value"]}
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": item["appointment_id"],
        "meta": {"versionId": str(item["version"]), "lastUpdated": item["updated_at"]},
        "identifier": [{key: value for key, value in identifier.items() if value}],
        "status": item["status"],
        "participant": [
            {
                "actor": {"identifier": {"system": NATIONAL_ID_SYSTEM, "value": item["national_id"]}},
                "status": "accepted",
            }
        ],
    }
    resource.update({name: item[name] for name in ("start", "end", "created") if item.get(name)})
    return resource


def history(editor_id: str, identifier: Identifier) -> list[dict[str, Any]]:
    """The record's STATUS items, oldest first."""
    condition = Key(PK).eq(record_pk(editor_id, identifier)) & Key(SK).begins_with(STATUS_PREFIX)
    return storage.query_all(ORIENTATIONS, KeyConditionExpression=condition, ConsistentRead=True)


def create(editor_id: str, record: AppointmentRecord, now: datetime | None = None) -> Stored:
    """Create the record; the same identifier again (a replay) writes nothing and answers created=False."""
    existing = load(editor_id, record.identifier)
    if existing is not None:
        _link(existing)  # a replay also completes a link an interrupted create left undone
        return _stored(existing, created=False, changed=False)
    return _write(editor_id, record, None, now or datetime.now(UTC))


def upsert(editor_id: str, record: AppointmentRecord, now: datetime | None = None) -> Stored:
    """Conditional update on the identifier: create when absent, else the record as sent now."""
    existing = load(editor_id, record.identifier)
    if existing is not None and _same(existing, record):
        _link(existing)
        return _stored(existing, created=False, changed=False)
    return _write(editor_id, record, existing, now or datetime.now(UTC))


def booking_made(editor_id: str, national_id: str, start: datetime, booking_id: str) -> str | None:
    """The booking flow's side of the link: the platform booked this doctor's slot at `start` on this
    editor. The id of the editor's record of it (as in its Location) if it has come — it then carries
    `booking_id` — else None, and the record takes the booking id when it comes."""
    pk = links.booking_made(editor_id, national_id, start, booking_id)
    if pk is None:
        return None
    _set_booking(pk, booking_id)
    return _appointment_id(pk)


def _link(item: dict[str, Any]) -> None:
    """The record's side of the link, until it has its booking (a record without a start has none)."""
    if item.get("booking_id") or not item.get("start"):
        return
    start = datetime.fromisoformat(str(item["start"]))
    booking_id = links.record_stored(str(item["editor_id"]), str(item["national_id"]), start, str(item[PK]))
    if booking_id is not None:
        _set_booking(str(item[PK]), booking_id)
        item["booking_id"] = booking_id


def _set_booking(pk: str, booking_id: str) -> None:
    storage.table(ORIENTATIONS).update_item(
        Key={PK: pk, SK: META},
        UpdateExpression="SET booking_id = :booking",
        ConditionExpression="attribute_exists(#pk)",
        ExpressionAttributeNames={"#pk": PK},
        ExpressionAttributeValues={":booking": booking_id},
    )


_CONTENT_NAMES = (
    "identifier_system",
    "identifier_value",
    "identifier_type",
    "status",
    "start",
    "end",
    "created",
    "national_id",
    "editor_resource_id",
    "slot_references",
    "operator_system",
    "operator_value",
    "operator_type",
)


def _same(existing: dict[str, Any], record: AppointmentRecord) -> bool:
    content = _content(record)
    return all(existing.get(name) == content.get(name) for name in _CONTENT_NAMES)


def _write(
    editor_id: str, record: AppointmentRecord, existing: dict[str, Any] | None, moment: datetime
) -> Stored:
    pk = record_pk(editor_id, record.identifier)
    now = _now_text(moment)
    version = int(existing["version"]) + 1 if existing else 1
    received = str(existing["received_at"]) if existing else now
    at = _text(record.start) or (str(existing["at_sk"]).split("#")[0] if existing else now)
    meta = _meta_item(editor_id, record, pk, version, now, received, at)
    if existing is not None and existing.get("booking_id"):
        meta["booking_id"] = existing["booking_id"]  # the link outlives the record's changes
    table_name = storage.table(ORIENTATIONS).name
    condition: dict[str, Any] = (
        {
            "ConditionExpression": "#version = :previous",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":previous": existing["version"]},
        }
        if existing
        else {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
    )
    items: list[dict[str, Any]] = [{"Put": {"TableName": table_name, "Item": meta, **condition}}]
    if existing is None or existing.get("status") != record.status.value:
        items.append({"Put": {"TableName": table_name, "Item": _status_item(pk, record, version, now)}})
    try:
        storage.dynamodb().meta.client.transact_write_items(TransactItems=cast(Any, items))
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        if existing is None:
            # Created at the same time by a replay of the same create: that one won, this one is the replay.
            found = load(editor_id, record.identifier)
            if found is not None:
                return _stored(found, created=False, changed=False)
        raise Conflict("the appointment record was changed at the same time; send it again") from error
    _link(meta)
    return _stored(meta, created=existing is None, changed=True)


def _stored(item: dict[str, Any], *, created: bool, changed: bool) -> Stored:
    return Stored(
        location=LOCATION_PREFIX + str(item["appointment_id"]),
        created=created,
        changed=changed,
        version=int(item["version"]),
        status=str(item["status"]),
    )
