"""Scheduled jobs, defined once: EventBridge schedules in the stack, the local scheduler and
`POST /_local/jobs/{name}` all read `JOBS`."""

from __future__ import annotations

from dataclasses import dataclass

from sas_common.capabilities import Capability


@dataclass(frozen=True)
class Job:
    name: str
    capability: Capability
    entrypoint: str  # a callable of `<capability>.handler` taking (event, context) and returning a summary
    every_minutes: int
    description: str


EXPIRE_SLOTS = Job(
    name="expire-slots",
    capability=Capability.INGEST,
    entrypoint="expire_slots_handler",
    every_minutes=10,
    description="remove slots whose end has passed, reading only the expiry buckets that are due",
)

MATERIALISE_AGENDA = Job(
    name="materialise-agenda",
    capability=Capability.AGENDA,
    entrypoint="materialise_agenda_handler",
    every_minutes=15,
    description="once a day, move every manual agenda's materialised window (slots) forward; a run that "
    "nears its timeout keeps its place and the next one goes on",
)

JOBS: dict[str, Job] = {job.name: job for job in (EXPIRE_SLOTS, MATERIALISE_AGENDA)}
