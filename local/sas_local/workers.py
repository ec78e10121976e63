"""Each Lambda function of the platform in worker processes of its own, as Lambda runs instances.

`WorkerPools` is `make run`'s invoker (`sas_local.functions.Invoker`): one small pool per function
(`sas_local.functions.platform_functions`), workers started on demand up to `max_instances`, each serving
one event at a time, as a Lambda instance does. A worker imports its function's module once when it starts
(its cold start: the module makes its runtime, its resolver, its AWS clients), then serves events until the
platform stops. Workers share no memory with each other or with the platform: two functions — or two
instances of one — never see each other's request, and concurrency is real (one process per in-flight
event). They reach AWS as deployed functions do, through boto3, here on the platform's moto server
(`AWS_ENDPOINT_URL` and the fake credentials in their environment), so the handlers' code is unchanged.

Events and results cross as JSON, as they do in Lambda (a result that is not JSON is Lambda's
`Runtime.MarshalError`). A handler's exception comes back as `lambdas.FunctionError` carrying Lambda's
`{errorMessage, errorType, stackTrace}`; a worker that exceeds its function's timeout is killed
(`Sandbox.Timedout`), one that dies is replaced at the next invocation.

Workers are forked from a fork server (where the platform can have one) that has already imported the
heavy third-party libraries (`PRELOAD`), so a cold start costs the function's own modules, not boto3's and
pydantic's again; each worker is still its own process with its own copy of everything.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from sas_local.functions import LocalFunction
from sas_local.lambdas import FunctionError, error_payload

# At most this many instances of one function at once (Lambda's concurrency, per function), by default.
DEFAULT_MAX_INSTANCES = 4
MAX_INSTANCES_ENV = "SAS_LAMBDA_CONCURRENCY"
# How long a worker may take to import its function (Lambda's init phase is 10 s; imports are slower here).
INIT_TIMEOUT_SECONDS = 60.0
# Third-party libraries the fork server imports once, before any worker is forked from it. Never the
# layer's or a function's modules: those are each worker's cold start.
PRELOAD = (
    "boto3",
    "botocore.client",
    "pydantic",
    "pydantic_settings",
    "httpx",
    "aws_xray_sdk.core",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.batch",
    "fhir.resources.bundle",
    "h3",
)


def max_instances_from_environment() -> int:
    value = os.environ.get(MAX_INSTANCES_ENV, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else DEFAULT_MAX_INSTANCES


def _context() -> BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


# --- in the worker process ----------------------------------------------------------------------------------


def serve(connection: Connection, function: LocalFunction, environment: dict[str, str]) -> None:
    """A worker's life: the function's environment, its module imported (cold start), then one event at a
    time until the platform closes the connection."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the platform, which stops its workers
    os.environ.update(environment)
    # Metrics are off locally; powertools still warns when a handler flushes none (as the platform ignores).
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = time.monotonic()
    try:
        handler = getattr(importlib.import_module(function.module), function.entrypoint)
    except BaseException as error:
        connection.send(("failed", error_payload(error, "Runtime.ImportModuleError")))
        return
    connection.send(("ready", time.monotonic() - started))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return
        if event is None:
            return
        connection.send(_run(handler, function, event))


def _run(handler: Any, function: LocalFunction, event: str) -> tuple[str, Any]:
    try:
        result = handler(json.loads(event), function.context())
    except Exception as error:
        payload = error_payload(error)
        # What the Lambda Python runtime writes to the function's log on an unhandled exception.
        trace = "".join(payload["stackTrace"])
        print(
            f"[ERROR] {payload['errorType']}: {payload['errorMessage']}\n{trace}", file=sys.stderr, flush=True
        )
        return "error", payload
    try:
        return "ok", json.dumps(result)
    except (TypeError, ValueError) as error:
        marshal_error = f"Unable to marshal response: {error}"
        return "error", {"errorMessage": marshal_error, "errorType": "Runtime.MarshalError"}


# --- in the platform process --------------------------------------------------------------------------------


class Worker:
    """One instance of a function: a process and the pipe to it, used by one thread at a time."""

    def __init__(self, function: LocalFunction, environment: dict[str, str], context: BaseContext) -> None:
        self.function = function
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=serve, args=(child, function, environment), name=function.name, daemon=True
        )
        self.process.start()
        child.close()
        self.alive = True
        self.init_seconds = self._ready()

    def _ready(self) -> float:
        if not self.connection.poll(INIT_TIMEOUT_SECONDS):
            self.kill()
            raise FunctionError(
                {"errorType": "Runtime.InitTimeout", "errorMessage": f"{self.function.name} did not start"}
            )
        kind, value = self._receive()
        if kind == "failed":
            self.kill()
            raise FunctionError(value)
        return float(value)

    def invoke(self, event: str) -> str:
        self.connection.send(event)
        # The function's own timeout, plus a second for the pipe: then the instance is killed, as Lambda does.
        if not self.connection.poll(self.function.timeout_seconds + 1):
            self.kill()
            raise FunctionError(
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.function.timeout_seconds:.2f} seconds",
                }
            )
        kind, value = self._receive()
        if kind == "error":
            raise FunctionError(value)
        return str(value)

    def _receive(self) -> tuple[str, Any]:
        try:
            kind, value = self.connection.recv()
        except (EOFError, OSError) as error:
            self.kill()
            raise FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"an instance of {self.function.name} exited "
                    f"(exit code {self.process.exitcode})",
                }
            ) from error
        return str(kind), value

    def stop(self) -> None:
        """Let the worker end on its own (it is between events), else kill it."""
        if self.alive:
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.process.join(timeout=2)
        self.kill()

    def kill(self) -> None:
        self.alive = False
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()


class FunctionPool:
    """The instances of one function: an idle one serves the next event (the most recently used first, as
    Lambda reuses warm instances), else a new one starts if fewer than `max_instances` run, else the event
    waits for one to be free."""

    def __init__(
        self, function: LocalFunction, environment: dict[str, str], context: BaseContext, max_instances: int
    ) -> None:
        self.function = function
        self.max_instances = max_instances
        self.init_seconds: list[float] = []  # each cold start's import time
        self._environment = environment
        self._context = context
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self._starting = 0
        self._closed = False
        self._condition = threading.Condition()

    def invoke(self, event: Any) -> Any:
        payload = json.dumps(event)
        worker = self._acquire()
        try:
            answer = worker.invoke(payload)
        finally:
            self._release(worker)
        return json.loads(answer)

    def _acquire(self) -> Worker:
        with self._condition:
            while True:
                if self._closed:
                    raise FunctionError({"errorType": "Runtime.Stopped", "errorMessage": "platform stopping"})
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.max_instances:
                    self._starting += 1
                    break
                self._condition.wait()
        try:  # a cold start, outside the lock: other instances keep serving meanwhile
            worker = Worker(self.function, self._environment, self._context)
        except BaseException:
            with self._condition:
                self._starting -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._starting -= 1
            self._all.append(worker)
            self.init_seconds.append(worker.init_seconds)
        return worker

    def _release(self, worker: Worker) -> None:
        with self._condition:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            elif worker in self._all:
                self._all.remove(worker)
            self._condition.notify()
        if self._closed:
            worker.stop()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            idle, self._idle = self._idle, []
            self._condition.notify_all()
        for worker in idle:
            worker.stop()


class WorkerPools:
    """The invoker of `make run`: every function in its own pool of worker processes."""

    def __init__(
        self,
        functions: dict[str, LocalFunction],
        environment: dict[str, str],
        max_instances: int = DEFAULT_MAX_INSTANCES,
    ) -> None:
        context = _context()
        self.pools = {
            name: FunctionPool(function, environment, context, max_instances)
            for name, function in functions.items()
        }
        if context.get_start_method() == "forkserver":
            # The fork server imports `PRELOAD` now, in the background, rather than at the first request.
            from multiprocessing import forkserver

            forkserver.ensure_running()

    def invoke(self, name: str, event: Any) -> Any:
        return self.pools[name].invoke(event)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
