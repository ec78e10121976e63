"""Scheduled jobs (`sas_common.jobs`): a dedicated function per job, and an EventBridge rule per schedule
of the territory (`schedules`: one per job, or one per editor for per-editor jobs, naming the editor)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs import pascal
from infra.constructs.compute import Compute
from infra.constructs.queues import Queues
from sas_common.capabilities import FUNCTIONS
from sas_common.jobs import JOBS, Schedule, schedules
from sas_common.territory import TerritoryConfig

# EventBridge retries a failed asynchronous invocation this many times...
RETRY_ATTEMPTS = 2


def max_event_age(schedule: Schedule) -> Duration:
    """How long EventBridge keeps retrying: one period (at least the minute EventBridge requires, at most
    its 24 hours), after which the job's next run has started and a retry would only duplicate it."""
    return Duration.minutes(max(1, min(schedule.every_minutes, 24 * 60)))


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        territory: TerritoryConfig,
        compute: Compute,
        queues: Queues,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.rules: dict[str, events.Rule] = {}
        for job in JOBS.values():
            function = compute.add_function(
                self,
                pascal(job.name),
                FUNCTIONS[job.capability],
                label=job.name,
                entrypoint=job.entrypoint,
                description=f"job {job.name}: {job.description}",
            )
            if job.fills_queue is not None:
                queues.queues[job.fills_queue.logical_name].grant_send_messages(function)
            self.functions[job.name] = function
        for schedule in schedules(territory):
            self.rules[schedule.label] = events.Rule(
                self,
                f"{pascal(schedule.label)}Schedule",
                description=f"job {schedule.label}, every {schedule.every_minutes} min"[:512],
                schedule=events.Schedule.rate(Duration.minutes(schedule.every_minutes)),
                targets=[
                    targets.LambdaFunction(
                        self.functions[schedule.job.name],
                        event=events.RuleTargetInput.from_object(schedule.event) if schedule.event else None,
                        retry_attempts=RETRY_ATTEMPTS,
                        max_event_age=max_event_age(schedule),
                    )
                ],
            )
