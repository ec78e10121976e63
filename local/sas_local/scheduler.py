"""Fires the scheduled jobs locally on the same timetable as the EventBridge rules of the stack
(`sas_common.jobs.schedules`: one per job, one per editor for per-editor jobs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sas_common.jobs import JOBS, Job, Schedule
from sas_common.observability import logger
from sas_local.functions import job_function_name
from sas_local.gateway import Invoke

JobRunner = Callable[[Job, Mapping[str, str]], dict[str, Any]]


def run_job(invoke: Invoke, job: Job, detail: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Invoke the job's function with the event its rule sends, and return its summary: a rule with an
    input sends that input (per-editor jobs: `{"editor_id": ...}`), a plain rule the scheduled event."""
    event: dict[str, Any] = (
        dict(detail)
        if detail
        else {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "resources": [job.name]}
    )
    summary: dict[str, Any] = invoke(job_function_name(job.name), event)
    return summary


class LocalScheduler:
    def __init__(
        self,
        timetable: Sequence[Schedule],
        runner: JobRunner,
        jobs: Mapping[str, Job] = JOBS,
    ) -> None:
        self._timetable = list(timetable)
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

    def run_now(self, name: str, detail: Mapping[str, str] | None = None) -> dict[str, Any]:
        with self._lock:
            return self._runner(self._jobs[name], detail or {})

    def _loop(self) -> None:
        started = time.monotonic()
        next_run = {schedule.label: started + schedule.every_minutes * 60 for schedule in self._timetable}
        while not self._stop.wait(timeout=1.0):
            for schedule in self._timetable:
                if time.monotonic() >= next_run[schedule.label]:
                    next_run[schedule.label] += schedule.every_minutes * 60
                    try:
                        self.run_now(schedule.job.name, schedule.event)
                    except Exception:  # a failed run is logged and retried at the next tick, as in production
                        logger.exception("scheduled job failed", extra={"job": schedule.label})
