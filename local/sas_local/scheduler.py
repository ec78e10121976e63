"""Fires the scheduled jobs locally on the same cadence as the EventBridge schedules of the stack."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sas_common.capabilities import FUNCTIONS
from sas_common.jobs import JOBS, Job
from sas_common.observability import logger
from sas_local.lambdas import LambdaContext

JobRunner = Callable[[Job], dict[str, Any]]


def run_job(job: Job) -> dict[str, Any]:
    """Invoke the job's entry point as EventBridge would, and return its summary."""
    module = importlib.import_module(FUNCTIONS[job.capability].module)
    entrypoint = getattr(module, job.entrypoint)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "resources": [job.name]}
    summary: dict[str, Any] = entrypoint(event, LambdaContext(job.name))
    return summary


class LocalScheduler:
    def __init__(self, jobs: Mapping[str, Job] = JOBS, runner: JobRunner = run_job) -> None:
        self._jobs = dict(jobs)
        self._runner = runner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sas-local-scheduler", daemon=True)
        self._lock = threading.Lock()  # a job never runs twice at once, as with a reserved concurrency of 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_now(self, name: str) -> dict[str, Any]:
        with self._lock:
            return self._runner(self._jobs[name])

    def _loop(self) -> None:
        next_run = {name: time.monotonic() + job.every_minutes * 60 for name, job in self._jobs.items()}
        while not self._stop.wait(timeout=1.0):
            for name, due in next_run.items():
                if time.monotonic() >= due:
                    next_run[name] = due + self._jobs[name].every_minutes * 60
                    try:
                        self.run_now(name)
                    except Exception:  # a failed run is logged and retried at the next tick, as in production
                        logger.exception("scheduled job failed", extra={"job": name})
