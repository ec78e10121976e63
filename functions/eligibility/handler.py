"""Lambda entry points of the eligibility capability: its HTTP routes and its scheduled export job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from eligibility.routes import ROUTERS
from sas_common.api import http_function
from sas_common.eligibility.service import export_due
from sas_common.entrypoints import job_function
from sas_common.jobs import EXPORT_ELIGIBILITY
from sas_common.observability import logger
from sas_common.runtime import Runtime

app, lambda_handler = http_function(*ROUTERS)


@job_function
def export_eligibility_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The closed periods' exports to the territory's bucket (`exports/`); an event naming a `quarter`
    (`YYYY-Qn`) or a `month` (`YYYY-MM`) writes that one again."""
    summary = export_due(rt, datetime.now(UTC), event)
    logger.info("eligibility exports", extra={"job": EXPORT_ELIGIBILITY.name, **summary})
    return summary
