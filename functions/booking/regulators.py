"""Regulator accounts sent to level-2 editors (flow INT_R02): the territory admin's routes, and the queue
consumer that sends each version to each editor (`sync_batch`: `handler.regulator_sync_worker_handler`).

Thin handlers: the request goes to `sas_common.regulators.service`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.regulator_answers import RegulatorAnswer
from sas_common.answers import answers
from sas_common.api import new_router, runtime
from sas_common.regulators import service
from sas_common.regulators.model import REGULATOR_ID_PATTERN, RegulatorRequest
from sas_common.routes import REGULATOR_DELETE, REGULATOR_GET, REGULATOR_PUT
from sas_common.runtime import Runtime

router = new_router()
TAGS = ["regulator accounts"]

RegulatorIdPath = Annotated[
    str,
    Path(
        pattern=REGULATOR_ID_PATTERN,
        description="the account's id on the platform (letters, digits, `.`, `_`, `-`; 64 at most)",
    ),
]
UNKNOWN = 404, "no such account (`field`: regulator_id)"


@router.put(
    REGULATOR_PUT.resolver_path,
    summary=REGULATOR_PUT.summary,
    description="Creates the account, or saves a new version of it (a removed account is restored). Every "
    "level-2 editor of the territory gets the version as a Practitioner, through a queue: follow each "
    "editor's state with GET. Saving again sends again (how a `failed` editor is retried).",
    tags=TAGS,
    responses=answers(
        REGULATOR_PUT,
        {200: "the account as saved, each editor's state `pending`"},
        400,
        (409, "saved at the same time by another request: read it and try again"),
        (
            422,
            "a field is malformed, or rule `one_identifier` (exactly one of national_id and technical_id) "
            "or `identifier_immutable` (an account keeps its identifier)",
        ),
        (502, "saved, but not queued for every editor: send it again"),
    ),
)
def put_regulator(regulator_id: RegulatorIdPath, body: RegulatorRequest) -> RegulatorAnswer:
    view = service.save(runtime(router), regulator_id, body, datetime.now(UTC))
    return RegulatorAnswer.of(view)


@router.get(
    REGULATOR_GET.resolver_path,
    summary=REGULATOR_GET.summary,
    tags=TAGS,
    responses=answers(REGULATOR_GET, {200: "the account and each editor's state"}, UNKNOWN, 422),
)
def get_regulator(regulator_id: RegulatorIdPath) -> RegulatorAnswer:
    return RegulatorAnswer.of(service.read(runtime(router), regulator_id))


@router.delete(
    REGULATOR_DELETE.resolver_path,
    summary=REGULATOR_DELETE.summary,
    description="The account is marked removed and sent at once to every level-2 editor as an inactive "
    "Practitioner; an editor that cannot be reached (5xx, 429, timeout) stays `pending` and is retried "
    "through the queue. Removing again sends again.",
    tags=TAGS,
    responses=answers(
        REGULATOR_DELETE,
        {200: "the account, removed, and what each editor answered"},
        UNKNOWN,
        (409, "saved at the same time by another request: read it and try again"),
        422,
        (502, "removed, but not queued for every editor that could not be reached: remove it again"),
    ),
)
def delete_regulator(regulator_id: RegulatorIdPath) -> RegulatorAnswer:
    return RegulatorAnswer.of(service.remove(runtime(router), regulator_id, datetime.now(UTC)))


# --- the queue consumer -----------------------------------------------------------------------------------

processor = BatchProcessor(event_type=EventType.SQS)


def sync_batch(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One account version to one editor per message; an editor's 5xx, 429 or timeout fails that message
    (partial batch response): SQS delivers it again, then parks it in the dead letters."""

    def sync_record(record: SQSRecord) -> None:
        service.sync_message(rt, record.body)

    return dict(process_partial_response(event, sync_record, processor, context))
