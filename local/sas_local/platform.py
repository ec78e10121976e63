"""The whole platform in one process: moto as AWS, the production handlers, the local gateway and scheduler.

`LocalPlatform` is what `make run` starts and what the integration tests drive. It reads the territory file
the stack would read, gives every handler the environment the stack would give it, creates the tables from
`sas_common.tables`, registers the handlers as in-process Lambda functions, and seeds the demo territory.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sas_common.capabilities import API_ENTRYPOINT, FUNCTIONS, Capability
from sas_common.jobs import JOBS, POLL_EDITORS, Job, schedules
from sas_common.observability import logger
from sas_common.queues import QUEUES
from sas_common.runtime import Runtime
from sas_common.settings import function_environment
from sas_common.territory import TerritoryConfig, load_territory, territory_path
from sas_local import moto_adaptations
from sas_local.aws import LocalAws
from sas_local.event_sources import EventSourceLoop, LocalEventSource
from sas_local.gateway import HttpRequest, HttpResponse, LocalGateway
from sas_local.issuer import LocalIssuer
from sas_local.lambdas import REGISTRY, Handler
from sas_local.scheduler import LocalScheduler, run_job
from sas_local.seed import seed_demo

DEMO_TERRITORY = "demo"

# Local-only environment on top of what the stack sets: no X-Ray daemon, metrics printed as EMF lines.
LOCAL_ENVIRONMENT = {
    "SAS_STAGE": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": os.environ.get("SAS_LOG_LEVEL", "WARNING"),
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def function_name(capability: Capability) -> str:
    return f"sas-local-{capability.value}"


def job_function_name(job_name: str) -> str:
    return f"sas-local-job-{job_name}"


@dataclass
class LocalPlatform:
    territory_file: Path = field(default_factory=lambda: territory_path(DEMO_TERRITORY))
    seed: bool = True
    run_schedules: bool = True
    issuer: LocalIssuer = field(default_factory=LocalIssuer)

    def __post_init__(self) -> None:
        self.territory: TerritoryConfig = load_territory(self.territory_file)
        self.aws = LocalAws()
        self.gateway = LocalGateway(self.issuer, self.territory.max_request_body_bytes)
        self.scheduler = LocalScheduler(schedules(self.territory), runner=self._run_job)
        self.event_sources: dict[str, LocalEventSource] = {}
        self._event_loop: EventSourceLoop | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._runtime: Runtime | None = None
        self.seeded = 0

    def start(self) -> LocalPlatform:
        moto_adaptations.install()
        self.aws.start()
        self._set_environment()  # after start: the queue URLs are moto's
        self._runtime = Runtime.from_environment()
        self._register_functions()
        self.event_sources = {
            queue.logical_name: LocalEventSource(queue, self.aws.queue_urls[queue.logical_name])
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
        self.aws.stop()
        self._restore_environment()

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
        summary = run_job(job, detail)
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

    def _register_functions(self) -> None:
        """Each capability's entry point and each job's, under the names state machines refer to."""
        for capability, spec in FUNCTIONS.items():
            module = importlib.import_module(spec.module)
            REGISTRY.register(function_name(capability), getattr(module, API_ENTRYPOINT))
        for job in JOBS.values():
            REGISTRY.register(job_function_name(job.name), _job_entrypoint(job))


def _run_outcome(rt: Runtime, dispatched: dict[str, Any]) -> dict[str, Any]:
    """A dispatched run with what its batches did (`sas_common.ingest.runs`); a run not dispatched as is."""
    if not dispatched.get("run_id"):
        return dispatched
    stored = rt.state.load_run(dispatched["editor_id"], dispatched["run_id"]) or {}
    return {**dispatched, **stored}


def _job_entrypoint(job: Job) -> Handler:
    def invoke(_event: Any, _context: Any) -> dict[str, Any]:
        return run_job(job)

    return invoke


@contextmanager
def running(**options: Any) -> Iterator[LocalPlatform]:
    platform = LocalPlatform(**options).start()
    try:
        yield platform
    finally:
        platform.stop()
