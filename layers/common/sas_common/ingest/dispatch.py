"""A poll run of an editor, fanned out: the dispatcher plans the batches, the workers poll them.

On the editor's schedule the dispatcher reads who is due (pattern 5), cuts them into batches (25 national
ids, or 10 SOS association SIRETs: the guide's limits), records the run (`runs`) and sends one SQS message
per batch. Each worker message is one `poll_batch`; its outcome is added to the run. An editor whose breaker
is open is not dispatched at all until its cool-down has passed (its stored slots stay as they are).

Messages are validated when received: one that is not ours, or names an editor the territory no longer
has, is dropped and logged (a retry could not fix it); one older than the editor's poll period is dropped
as stale (a newer run has asked since). Only a crash of our own (storage, a bug) makes a message fail, so
SQS retries it and, past `max_receive_count`, parks it in the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sas_common.ingest import breaker, runs
from sas_common.ingest.poll import BatchSummary, batch_size, batches, poll_batch
from sas_common.queues import EDITOR_POLLS
from sas_common.territory import EditorConfig, TerritoryConfig

if TYPE_CHECKING:
    from sas_common.runtime import Runtime


class PollMessage(BaseModel):
    """One batch of one run, as it travels on the `editor_polls` queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    editor_id: Annotated[str, Field(min_length=1, max_length=40)]
    run_id: Annotated[str, Field(min_length=1, max_length=64)]
    batch: Annotated[int, Field(ge=0)]
    ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=20)]], Field(min_length=1, max_length=25)
    ]
    dispatched_at: AwareDatetime


@dataclass
class DispatchSummary:
    editor_id: str
    run_id: str | None = None
    due: int = 0
    batches: int = 0
    unsent: list[int] = field(default_factory=list)  # batch numbers SQS refused
    skipped: str | None = None  # why nothing was sent

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def dispatch(rt: Runtime, editor: EditorConfig, now: datetime) -> DispatchSummary:
    """Plan and send one run of the editor (see the module's doc)."""
    state = rt.state.load_breaker(editor.id)
    if not breaker.allows(state, now):
        return DispatchSummary(editor.id, skipped=f"breaker {state.status.value}: cooling down")
    run_id = runs.new_run_id(now)
    summary = DispatchSummary(editor.id, run_id)
    due = rt.participations.owners_showing(editor.id)
    planned = [
        PollMessage(editor_id=editor.id, run_id=run_id, batch=number, ids=ids, dispatched_at=now)
        for number, ids in enumerate(batches(due, batch_size(editor)))
    ]
    summary.due, summary.batches = len(due), len(planned)
    runs.start_run(rt, editor.id, run_id, len(planned), now)
    summary.unsent = rt.queues.send_all(EDITOR_POLLS, [message.model_dump_json() for message in planned])
    return summary


def dispatch_all(rt: Runtime, now: datetime, editor_id: str | None = None) -> list[DispatchSummary]:
    """Every editor of the territory, or the one a per-editor schedule names."""
    territory = rt.territory
    chosen = [editor for editor in territory.editors if editor_id in (None, editor.id)]
    if editor_id is not None and not chosen:
        raise LookupError(f"no editor {editor_id!r} in territory {territory.code}")
    return [dispatch(rt, editor, now) for editor in chosen]


class DroppedMessage(Exception):
    """A message no retry can fix (not ours, an unknown editor, stale): acknowledged and logged."""


def read_message(body: str, territory: TerritoryConfig, now: datetime) -> tuple[PollMessage, EditorConfig]:
    try:
        message = PollMessage.model_validate_json(body)
    except ValidationError as exc:
        raise DroppedMessage(f"not a poll message: {exc.errors()[0]['msg']}") from exc
    editor = territory.editor(message.editor_id)
    if editor is None:
        raise DroppedMessage(f"editor {message.editor_id!r} is not in territory {territory.code}")
    if now - message.dispatched_at > timedelta(minutes=editor.poll_every_minutes):
        raise DroppedMessage(
            f"stale: dispatched at {message.dispatched_at.isoformat()}, a newer run has asked"
        )
    return message, editor


def work(
    rt: Runtime,
    message: PollMessage,
    editor: EditorConfig,
    now: datetime,
    time_left: Callable[[], float] | None = None,
) -> tuple[BatchSummary, bool]:
    """Poll the message's batch and add it to its run; the summary, and whether it counted (not a replay)."""
    summary = poll_batch(rt, editor, message.ids, now, time_left=time_left)
    counted = runs.record_batch(rt, message.run_id, message.batch, summary)
    return summary, counted
