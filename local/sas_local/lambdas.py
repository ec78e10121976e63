"""Lambda plumbing of the local runtime: the context object, function ARNs, and the registry moto reads.

Production handlers are plain `(event, context)` callables. The local runtime registers every function of
the platform here under its name (`sas_local.functions`), and tests register their own handlers: moto's
Step Functions interpreter reaches them through `lambda.invoke` (see `moto_adaptations`), so a state
machine's Lambda task states run the same handler code. A platform function's registered handler forwards
to the platform's invoker (in-process, or the function's worker processes).
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "eu-west-3"

Handler = Callable[[Any, Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 29
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def error_payload(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """What the Lambda Python runtime returns for an unhandled exception (`requestId` aside): the stack
    trace from the handler down, without the local runtime's dispatch frames."""
    frames = traceback.extract_tb(error.__traceback__)
    handler_frames = [frame for frame in frames if os.path.dirname(frame.filename) != _LOCAL_RUNTIME]
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_list(handler_frames),
    }


_LOCAL_RUNTIME = os.path.dirname(__file__)


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


class UnknownFunction(LookupError):
    pass


class FunctionError(Exception):
    """A function's invocation failed where it ran (a worker process): `payload` is what Lambda reports,
    `{errorMessage, errorType, stackTrace}`, so callers (Step Functions' Retry/Catch) see the handler's own
    error type and not this class's name."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload.get('errorType', 'Error')}: {payload.get('errorMessage', '')}")
        self.payload = payload

    @property
    def error_type(self) -> str:
        return str(self.payload.get("errorType", "Error"))


class LocalLambdas:
    """Function name → in-process handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler) -> str:
        with self._lock:
            self._handlers[name] = handler
        return function_arn(name)

    def __contains__(self, name: str) -> bool:
        return _name(name) in self._handlers

    def invoke(self, name: str, event: Any) -> Any:
        handler = self._handlers.get(_name(name))
        if handler is None:
            raise UnknownFunction(f"no local function {name!r}")
        return handler(event, LambdaContext(_name(name)))


def _name(name_or_arn: str) -> str:
    """A function name from a name, a partial or a full ARN (with or without a qualifier)."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6] if len(parts) > 6 else name_or_arn
    return name_or_arn.split(":")[0]


# The registry the local platform and moto's Step Functions interpreter share.
REGISTRY = LocalLambdas()
