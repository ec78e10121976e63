"""The platform's Lambda functions as the local runtime runs them, and the in-process way to run them.

The stack deploys one function per capability (its HTTP entry point), one per scheduled job and one per
queue consumer (`sas_common.capabilities.FUNCTIONS`, `sas_common.jobs.JOBS`, `sas_common.queues.QUEUES`);
`platform_functions()` lists the same ones, each with the module and entry point the stack gives it, under a
local name. Everything that calls a function locally — the gateway, the scheduler, the SQS event source,
moto's Step Functions interpreter — does it by that name, through an `Invoker`:

- `InProcessFunctions` (the test suite's mode): each function's module imported in this process, every
  invocation of every function run one at a time, process-wide (see its docstring for why);
- `sas_local.workers.WorkerPools` (`make run`'s mode): each function in worker processes of its own.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sas_common.capabilities import API_ENTRYPOINT, FUNCTIONS, STEPS_FUNCTIONS, Capability, FunctionSpec
from sas_common.jobs import JOBS
from sas_common.queues import QUEUES, QueueDef
from sas_local.lambdas import LambdaContext

PREFIX = "sas-local-"


@dataclass(frozen=True)
class LocalFunction:
    """One Lambda function: its name, the code it runs, and the memory and timeout the stack gives it."""

    name: str
    module: str
    entrypoint: str
    memory_mb: int
    timeout_seconds: int

    @classmethod
    def of(cls, name: str, spec: FunctionSpec, entrypoint: str) -> LocalFunction:
        return cls(name, spec.module, entrypoint, spec.memory_mb, spec.timeout_seconds)

    def context(self) -> LambdaContext:
        """A fresh context for one invocation (its request id, its deadline)."""
        return LambdaContext(self.name, self.memory_mb, self.timeout_seconds)


def function_name(capability: Capability) -> str:
    """A capability's HTTP function (what the gateway invokes)."""
    return f"{PREFIX}{capability.value}"


def job_function_name(job_name: str) -> str:
    return f"{PREFIX}job-{job_name}"


def consumer_function_name(queue: QueueDef) -> str:
    """A queue's consumer, labelled as the stack labels it (`poll_worker_handler` → `poll-worker`)."""
    return PREFIX + queue.consumer_entrypoint.removesuffix("_handler").replace("_", "-")


def platform_functions() -> dict[str, LocalFunction]:
    """Every function the stack deploys, by local name."""
    functions = [LocalFunction.of(function_name(c), spec, API_ENTRYPOINT) for c, spec in FUNCTIONS.items()]
    functions += [
        LocalFunction.of(job_function_name(job.name), FUNCTIONS[job.capability], job.entrypoint)
        for job in JOBS.values()
    ]
    functions += [
        LocalFunction.of(consumer_function_name(queue), FUNCTIONS[queue.consumer], queue.consumer_entrypoint)
        for queue in QUEUES
    ]
    functions += [
        LocalFunction.of(PREFIX + steps.label, steps.spec, steps.entrypoint) for steps in STEPS_FUNCTIONS
    ]
    return {function.name: function for function in functions}


class Invoker(Protocol):
    """Runs the platform's functions by name: the event in, the function's result out (a handler's
    exception propagates: as itself in-process, as `lambdas.FunctionError` from a worker)."""

    def invoke(self, name: str, event: Any) -> Any: ...

    def close(self) -> None: ...


class NestedInvocation(RuntimeError):
    """A function invoked another one, in-process, while it ran: see `InProcessFunctions`."""


class InProcessFunctions:
    """Every function's module imported in this process (once, at its first invocation, like a cold start),
    and every invocation of every function run one at a time, process-wide.

    Why one at a time, across ALL functions: powertools keeps the event being resolved on the resolver
    *class* (`BaseRouter.current_event`, shared by every resolver of the process), and the handlers of one
    function share its module-level resolver and runtime (its AWS clients, among them a DynamoDB resource
    that serves one invocation at a time). Two invocations running at once in one process — even of two
    different functions — would read each other's request (an agenda 404 answered as a FHIR
    OperationOutcome). Separate Lambda instances share nothing; here, the only safe equivalent is to never
    overlap. This mode is for the test suite (fast: no process, moto in-process); real concurrency is the
    worker mode's (`sas_local.workers`, what `make run` uses).

    Consequence: a function must not wait, while it runs, for another function to run (a handler waiting
    for a state machine whose Lambda task runs here would wait forever); such a call, made from the same
    thread, raises `NestedInvocation` instead of deadlocking. Run it in the worker mode.
    """

    def __init__(self, functions: dict[str, LocalFunction]) -> None:
        self.functions = functions
        self._entrypoints: dict[str, Callable[[Any, Any], Any]] = {}
        self._serial = threading.Lock()
        self._holder: int | None = None

    def import_modules(self) -> None:
        """Every function's module imported now (their cold starts), as before any request; an entry point
        is looked up at its function's first invocation."""
        for module in sorted({function.module for function in self.functions.values()}):
            importlib.import_module(module)

    def entrypoint(self, name: str) -> Callable[[Any, Any], Any]:
        if name not in self._entrypoints:
            function = self.functions[name]
            module = importlib.import_module(function.module)
            self._entrypoints[name] = getattr(module, function.entrypoint)
        return self._entrypoints[name]

    def invoke(self, name: str, event: Any) -> Any:
        function = self.functions[name]
        if self._holder == threading.get_ident():
            raise NestedInvocation(
                f"{name} invoked while another function runs in this thread: in-process, functions run one "
                "at a time; use the worker mode (LocalPlatform(isolated=True))"
            )
        with self._serial:
            self._holder = threading.get_ident()
            try:
                return self.entrypoint(name)(event, function.context())
            finally:
                self._holder = None

    def close(self) -> None:
        pass
