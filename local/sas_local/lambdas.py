"""In-process Lambda functions for the local runtime.

Production handlers are plain `(event, context)` callables; locally they are registered here under a
function name and invoked in-process: by the local gateway, by the scheduler, and by moto's Step Functions
interpreter (see `moto_adaptations`), so a state machine's Lambda task states run the same handler code.
"""

from __future__ import annotations

import threading
import time
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


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


class UnknownFunction(LookupError):
    pass


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
