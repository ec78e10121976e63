"""Lambda entry points of the booking capability: the HTTP API (`lambda_handler`) and the booking state
machine's tasks (`booking_steps_handler`, one function for every step: infra/constructs/booking.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.routes import ROUTERS
from sas_common.api import http_function
from sas_common.booking import service
from sas_common.entrypoints import job_function
from sas_common.runtime import Runtime

app, lambda_handler = http_function(*ROUTERS)


@job_function
def booking_steps_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return service.run_step(rt, event)


@job_function
def regulator_sync_worker_handler(
    rt: Runtime, event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    """Consumer of the `regulator_sync` queue (flow INT_R02): each message sends one regulator account version
    to one level-2 editor; an editor's 5xx, 429 or timeout fails that message only, to be retried."""
    from booking.regulators import sync_batch  # loaded with the routes: the module keeps its batch processor

    return sync_batch(rt, event, context)
