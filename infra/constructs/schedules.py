"""Scheduled jobs (`sas_common.jobs.JOBS`): a dedicated function each, triggered by an EventBridge rule."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs import pascal
from infra.constructs.compute import Compute
from sas_common.capabilities import FUNCTIONS
from sas_common.jobs import JOBS, Job

# EventBridge retries a failed asynchronous invocation this many times...
RETRY_ATTEMPTS = 2


def max_event_age(job: Job) -> Duration:
    """How long EventBridge keeps retrying: one period (at least the minute EventBridge requires, at most
    its 24 hours), after which the job's next run has started and a retry would only duplicate it."""
    return Duration.minutes(max(1, min(job.every_minutes, 24 * 60)))


class Schedules(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, compute: Compute) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.rules: dict[str, events.Rule] = {}
        for job in JOBS.values():
            name = pascal(job.name)
            function = compute.add_function(
                self,
                name,
                FUNCTIONS[job.capability],
                label=job.name,
                entrypoint=job.entrypoint,
                description=f"job {job.name}: {job.description}",
            )
            self.functions[job.name] = function
            self.rules[job.name] = events.Rule(
                self,
                f"{name}Schedule",
                description=f"job {job.name}, every {job.every_minutes} min"[:512],
                schedule=events.Schedule.rate(Duration.minutes(job.every_minutes)),
                targets=[
                    targets.LambdaFunction(
                        function, retry_attempts=RETRY_ATTEMPTS, max_event_age=max_event_age(job)
                    )
                ],
            )
