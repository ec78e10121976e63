"""`make run`'s stand-in for the demo territory's editor: the FHIR test double (`fhir_editor.FakeEditor`)
listening where the territory file points the editor (a local address), serving slots for the demo
effecteur who declared it, so `POST /_local/jobs/poll-editors` brings editor slots from the first start."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sas_common.territory import TerritoryConfig
from sas_local.fhir_editor import FakeEditor, FakePlace, FakeSlot
from sas_local.seed import DEMO_EFFECTEURS, editor_synced_effecteur

LOCAL_HOSTS = ("127.0.0.1", "localhost")
SLOT_MINUTES = 30
HOURS = (time(14, 0), time(18, 0))  # each afternoon, local time


def afternoon_slots(now: datetime, zone: ZoneInfo, days: int = 3) -> list[FakeSlot]:
    """Half-hour slots from 14:00 to 18:00 local time, from today, those still to come in the next 48 h."""
    slots = []
    today = now.astimezone(zone).date()
    for day in range(days):
        date = today + timedelta(days=day)
        start, last = datetime.combine(date, HOURS[0], zone), datetime.combine(date, HOURS[1], zone)
        while start < last:
            end = start + timedelta(minutes=SLOT_MINUTES)
            if now < start < now + timedelta(hours=48):
                slots.append(FakeSlot(start, end, ("SNP", "PRO"), ("AMB",)))
            start = end
    return slots


def start_demo_editor(territory: TerritoryConfig, now: datetime) -> FakeEditor | None:
    """The double for the editor the demo effecteur declared, if the territory points it at this machine;
    None when there is none (or its port is taken: then polls of it fail and are reported, as in life)."""
    synced = editor_synced_effecteur(territory)
    if synced is None:
        return None
    national_id, editor = synced
    url = urlsplit(str(editor.fhir_base_url))
    if url.hostname not in LOCAL_HOSTS or url.port is None:
        return None
    try:
        double = FakeEditor(host=url.hostname, port=url.port).start()
    except OSError:
        return None
    effecteur, places = next((e, p) for e, p in DEMO_EFFECTEURS if e.national_id == national_id)
    place = places[-1]
    double.add_practitioner_slots(
        national_id,
        afternoon_slots(now, territory.zone),
        FakePlace(
            place.address,
            place.postal_code or "",
            place.city or "",
            place.position.lat if place.position else None,
            place.position.lon if place.position else None,
            phone=place.phone,
            name=place.name,
        ),
        family=effecteur.last_name,
        given=effecteur.first_name,
    )
    return double
