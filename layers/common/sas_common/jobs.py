"""Scheduled jobs, defined once: EventBridge schedules in the stack, the local scheduler and
`POST /_local/jobs/{name}` all read `JOBS` (and `schedules` for one territory's timetable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sas_common.capabilities import Capability
from sas_common.queues import EDITOR_POLLS, QueueDef

if TYPE_CHECKING:
    from sas_common.territory import TerritoryConfig


@dataclass(frozen=True)
class Job:
    name: str
    capability: Capability
    entrypoint: str  # a callable of `<capability>.handler` taking (event, context) and returning a summary
    every_minutes: int  # per-editor jobs: each editor's `poll_every_minutes` instead
    description: str
    # One schedule per editor of the territory, on its own cadence, the event naming it (`editor_id`).
    per_editor: bool = False
    # The job only fans work out on this queue; its consumers do the rest.
    fills_queue: QueueDef | None = None


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

POLL_EDITORS = Job(
    name="poll-editors",
    capability=Capability.INGEST,
    entrypoint="poll_dispatch_handler",
    every_minutes=5,
    description="plan a poll run of an editor: one queue message per batch of its due effecteurs",
    per_editor=True,
    fills_queue=EDITOR_POLLS,
)

JOBS: dict[str, Job] = {job.name: job for job in (EXPIRE_SLOTS, MATERIALISE_AGENDA, POLL_EDITORS)}


@dataclass(frozen=True)
class Schedule:
    """One trigger of a job: the stack's EventBridge rule, the local scheduler's timer."""

    job: Job
    label: str  # unique in the territory: the job's name, or `<job>-<editor id>`
    every_minutes: int
    event: dict[str, str] = field(default_factory=dict)


def schedules(territory: TerritoryConfig) -> list[Schedule]:
    timetable: list[Schedule] = []
    for job in JOBS.values():
        if job.per_editor:
            timetable += [
                Schedule(job, f"{job.name}-{editor.id}", editor.poll_every_minutes, {"editor_id": editor.id})
                for editor in territory.editors
            ]
        else:
            timetable.append(Schedule(job, job.name, job.every_minutes))
    return timetable


# --- eligibility: the exports the health insurance needs -------------------------------------------------
# Every 30 minutes, it writes the latest closed periods unless already written (territory time): the
# quarter's effecteurs once the quarter and its last ISO week are over, the month's regulators' shifts once
# the month is over, to the territory's bucket (`exports/`, sas_common.stores.exports). An event naming a
# period (`{"quarter": "2025-Q1"}` or `{"month": "2025-03"}`) writes that one again, now.
EXPORT_ELIGIBILITY = Job(
    name="export-eligibility",
    capability=Capability.ELIGIBILITY,
    entrypoint="export_eligibility_handler",
    every_minutes=30,
    description="at each quarter's and month's end, write the eligibility exports (effecteurs' indicators "
    "8 and 9, regulators' shifts) as CSV to the territory's bucket",
)
JOBS[EXPORT_ELIGIBILITY.name] = EXPORT_ELIGIBILITY
