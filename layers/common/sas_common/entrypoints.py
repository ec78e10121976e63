"""Lambda entry points of the scheduled jobs and queue consumers (an HTTP capability's is
`sas_common.api.http_function`): each makes its function's runtime at cold start, when its module loads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast, overload

from aws_lambda_powertools.utilities.typing import LambdaContext

from sas_common.observability import logger, metrics
from sas_common.runtime import Runtime

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
Run = Callable[[Runtime, dict[str, Any], LambdaContext], dict[str, Any]]


@overload
def job_function(run: Run) -> LambdaHandler: ...


@overload
def job_function(*, flush_metrics: bool) -> Callable[[Run], LambdaHandler]: ...


def job_function(
    run: Run | None = None, *, flush_metrics: bool = True
) -> LambdaHandler | Callable[[Run], LambdaHandler]:
    """`run(runtime, event, context)` as a Lambda handler: its runtime made now, its logs carrying the
    invocation's context, the metrics it adds flushed at the end (`flush_metrics=False` for a function
    that reports its metrics itself, per editor)."""
    if run is None:
        return functools.partial(_entry, flush_metrics=flush_metrics)
    return _entry(run, flush_metrics=flush_metrics)


def _entry(run: Run, *, flush_metrics: bool) -> LambdaHandler:
    runtime = Runtime.from_environment()

    def invoke(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return run(runtime, event, context)

    flushed = metrics.log_metrics(invoke) if flush_metrics else invoke
    handler = logger.inject_lambda_context(clear_state=True)(flushed)
    return cast(LambdaHandler, functools.wraps(run)(handler))
