"""The whole platform: moto as AWS, the production handlers as Lambda functions, the gateway, the scheduler.

`LocalPlatform` is what `make run` starts and what the integration tests drive. It reads the territory file
the stack would read, gives every function the environment the stack would give it, creates the tables and
queues from `sas_common.tables` and `sas_common.queues`, runs the functions of `sas_local.functions`, and
seeds the demo territory.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sas_common.jobs import POLL_EDITORS, Job, schedules
from sas_common.observability import logger
from sas_common.queues import QUEUES
from sas_common.runtime import Runtime
from sas_common.settings import EXPORT_BUCKET_ENV, function_environment
from sas_common.territory import TerritoryConfig, load_territory, territory_path
from sas_local import booking_flow, moto_adaptations
from sas_local.aws import LOCAL_BUCKET, LocalAws
from sas_local.event_sources import EventSourceLoop, LocalEventSource
from sas_local.functions import InProcessFunctions, Invoker, platform_functions
from sas_local.gateway import HttpRequest, HttpResponse, LocalGateway
from sas_local.issuer import LocalIssuer
from sas_local.lambdas import REGISTRY, Handler
from sas_local.scheduler import LocalScheduler, run_job
from sas_local.seed import seed_demo
from sas_local.workers import WorkerPools, max_instances_from_environment

DEMO_TERRITORY = "demo"

# Local-only environment on top of what the stack sets: no X-Ray daemon, metrics printed as EMF lines.
LOCAL_ENVIRONMENT = {
    "SAS_STAGE": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": os.environ.get("SAS_LOG_LEVEL", "WARNING"),
    "POWERTOOLS_METRICS_DISABLED": "true",
    EXPORT_BUCKET_ENV: LOCAL_BUCKET,  # the stack sets it on the export job only
}


@dataclass
class LocalPlatform:
    """The platform, in one of two modes: how its Lambda functions run (`sas_local.functions`).

    - In-process (`isolated=False`, the test suite's): moto in-process (`mock_aws`), every function's module
      imported in this process and every invocation run one at a time across ALL functions
      (`InProcessFunctions`): powertools keeps the current event on the resolver class, process-wide, so
      two invocations at once in one process would read each other's request. Fast, deterministic, and
      isolated by construction — but no two requests ever overlap.
    - Isolated (`isolated=True`, `make run`'s): moto as a server in this process (`ThreadedMotoServer`) and
      each function — each capability's HTTP entry point, each job's, the queue consumer — in worker
      processes of its own (`sas_local.workers`: a pool per function, started on demand up to
      `max_instances`, each serving one event at a time, its module imported once, at its cold start).
      Invocations share no state, as separate Lambda instances share none, and run really concurrently;
      the workers reach moto through `AWS_ENDPOINT_URL` with the fake credentials, so the handlers' boto3
      code is the deployed one. moto's adapted Lambda invoke (Step Functions tasks) dispatches to the pools.

    Either way this process keeps a runtime of its own (`runtime`: seeding, reading runs; tests use it),
    the gateway, the scheduler and the SQS event sources, all of which reach functions by name through
    `invoke`.
    """

    territory_file: Path = field(default_factory=lambda: territory_path(DEMO_TERRITORY))
    seed: bool = True
    run_schedules: bool = True
    issuer: LocalIssuer = field(default_factory=LocalIssuer)
    isolated: bool = False
    max_instances: int = field(default_factory=max_instances_from_environment)

    def __post_init__(self) -> None:
        self.territory: TerritoryConfig = load_territory(self.territory_file)
        self.aws = LocalAws(server=self.isolated)
        self.functions = platform_functions()
        self.gateway = LocalGateway(self.issuer, self.territory.max_request_body_bytes, self.invoke)
        self.scheduler = LocalScheduler(schedules(self.territory), runner=self._run_job)
        self.event_sources: dict[str, LocalEventSource] = {}
        self._event_loop: EventSourceLoop | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._runtime: Runtime | None = None
        self._invoker: Invoker | None = None
        self.seeded = 0

    def start(self) -> LocalPlatform:
        moto_adaptations.install()
        self.aws.start()
        self._set_environment()  # after start: the queue URLs are moto's
        self._runtime = Runtime.from_environment()
        self._invoker = self._start_functions()
        for name in self.functions:  # under the names state machines refer to
            REGISTRY.register(name, self._forward(name))
        self.event_sources = {
            queue.logical_name: LocalEventSource(queue, self.aws.queue_urls[queue.logical_name], self.invoke)
            for queue in QUEUES
        }
        if self.seed:
            self.seeded = seed_demo(self.runtime)
        if self.run_schedules:
            self.scheduler.start()
            self._event_loop = EventSourceLoop(list(self.event_sources.values()))
            self._event_loop.start()
        return self

    def stop(self) -> None:
        if self.run_schedules:
            self.scheduler.stop()
        if self._event_loop is not None:
            self._event_loop.stop()
        if self._invoker is not None:
            self._invoker.close()
        self.aws.stop()
        self._restore_environment()

    def invoke(self, name: str, event: Any) -> Any:
        """Run one of the platform's functions (`sas_local.functions.platform_functions`) with an event."""
        if self._invoker is None:
            raise RuntimeError("the platform is not started")
        return self._invoker.invoke(name, event)

    def _start_functions(self) -> Invoker:
        if self.isolated:
            return WorkerPools(self.functions, dict(os.environ), self.max_instances)
        functions = InProcessFunctions(self.functions)
        functions.import_modules()
        return functions

    def _forward(self, name: str) -> Handler:
        def forward(event: Any, _context: Any) -> Any:
            return self.invoke(name, event)

        return forward

    @property
    def runtime(self) -> Runtime:
        """The platform's own runtime (seeding, reading what jobs recorded; tests use it too), made like a
        function's, on the same environment; each function has its own."""
        if self._runtime is None:
            raise RuntimeError("the platform is not started")
        return self._runtime

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self.gateway.handle(request)

    def run_job(self, name: str) -> dict[str, Any]:
        return self.scheduler.run_now(name)

    def _run_job(self, job: Job, detail: Mapping[str, str]) -> dict[str, Any]:
        """The job, then — for a job that fans work out on a queue — that queue drained through its consumer,
        so the answer tells what the whole run did (poll-editors: each editor's run, as stored)."""
        summary = run_job(self.invoke, job, detail)
        if job.fills_queue is None:
            return summary
        self.event_sources[job.fills_queue.logical_name].drain()
        if job is POLL_EDITORS:
            summary["runs"] = [_run_outcome(self.runtime, run) for run in summary.get("runs", [])]
        return summary

    def _set_environment(self) -> None:
        environment = function_environment(
            self.territory.environment_json(), self.aws.table_names, self.aws.queue_urls
        )
        environment.update(LOCAL_ENVIRONMENT)
        environment.update(booking_flow.provision())
        for name, value in environment.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        # The shared logger was made at import, before this environment existed: give it what it reads.
        logger.setLevel(environment["POWERTOOLS_LOG_LEVEL"])
        logger.append_keys(service=environment["POWERTOOLS_SERVICE_NAME"])
        # Metrics are off locally; powertools still warns when a handler flushes none.
        warnings.filterwarnings("ignore", message="No application metrics to publish")

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()


def _run_outcome(rt: Runtime, dispatched: dict[str, Any]) -> dict[str, Any]:
    """A dispatched run with what its batches did (`sas_common.ingest.runs`); a run not dispatched as is."""
    if not dispatched.get("run_id"):
        return dispatched
    stored = rt.state.load_run(dispatched["editor_id"], dispatched["run_id"]) or {}
    return {**dispatched, **stored}


@contextmanager
def running(**options: Any) -> Iterator[LocalPlatform]:
    platform = LocalPlatform(**options).start()
    try:
        yield platform
    finally:
        platform.stop()
