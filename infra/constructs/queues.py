"""The SQS queues of a territory, built from `sas_common.queues.QUEUES` (the one definition): each with a
dead-letter queue, SSE with the SQS-managed key, TLS enforced; and each queue's consumer function, fed
by an SQS event source that reports partial batch failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs import pascal
from sas_common.capabilities import FUNCTIONS
from sas_common.queues import QUEUES, QueueDef

if TYPE_CHECKING:
    from infra.constructs.compute import Compute


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.definitions: dict[str, QueueDef] = {queue.logical_name: queue for queue in QUEUES}
        self.dead_letters: dict[str, sqs.Queue] = {}
        self.queues: dict[str, sqs.Queue] = {}
        for queue in QUEUES:
            name = pascal(queue.logical_name)
            dead = sqs.Queue(
                self,
                f"{name}DeadLetters",
                retention_period=Duration.days(queue.dead_letter_retention_days),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            self.dead_letters[queue.logical_name] = dead
            self.queues[queue.logical_name] = sqs.Queue(
                self,
                name,
                visibility_timeout=Duration.seconds(queue.visibility_timeout_seconds),
                retention_period=Duration.days(queue.retention_days),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=queue.max_receive_count, queue=dead),
            )

    @property
    def queue_urls(self) -> dict[str, str]:
        """logical name → queue URL (a token), as `function_environment` expects."""
        return {name: queue.queue_url for name, queue in self.queues.items()}

    def add_consumers(self, compute: Compute) -> dict[str, lambda_.Function]:
        """The consumer function of each queue, with its SQS event source."""
        consumers: dict[str, lambda_.Function] = {}
        for queue in QUEUES:
            label = queue.consumer_entrypoint.removesuffix("_handler").replace("_", "-")
            function = compute.add_function(
                self,
                pascal(label),
                FUNCTIONS[queue.consumer],
                label=label,
                entrypoint=queue.consumer_entrypoint,
                description=f"consumer of {queue.logical_name}: {queue.purpose}",
            )
            function.add_event_source(
                event_sources.SqsEventSource(
                    self.queues[queue.logical_name],
                    batch_size=queue.batch_size,
                    max_concurrency=queue.max_concurrency,
                    report_batch_item_failures=True,
                )
            )
            consumers[queue.logical_name] = function
        return consumers
