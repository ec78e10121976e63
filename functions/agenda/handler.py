"""Lambda entry points of the agenda capability: its HTTP routes, its scheduled job, the bucket import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from agenda import directory
from agenda.routes import ROUTERS
from sas_common.agenda.materialise import materialise_due
from sas_common.api import http_function
from sas_common.entrypoints import job_function
from sas_common.jobs import MATERIALISE_AGENDA
from sas_common.observability import logger, metrics
from sas_common.runtime import Runtime

app, lambda_handler = http_function(*ROUTERS)


@job_function
def materialise_agenda_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = materialise_due(rt, datetime.now(UTC), lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="AgendasMaterialised", unit="Count", value=run.effecteurs)
    metrics.add_metric(name="AgendaMaterialisationFailures", unit="Count", value=run.failed)
    logger.info("agenda materialised", extra={"job": MATERIALISE_AGENDA.name, **run.as_dict()})
    return run.as_dict()


@job_function
def directory_import_s3_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An extract put under `imports/` in the import bucket (files over the HTTP API's body limit)."""
    return directory.import_s3_event(rt, event)
