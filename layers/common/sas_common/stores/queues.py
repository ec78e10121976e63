"""The SQS queues (defined in sas_common.queues): sending to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sas_common.queues import QueueDef
from sas_common.stores.clients import AwsClients

SEND_BATCH = 10  # SendMessageBatch takes at most ten messages


class QueueSender:
    def __init__(self, aws: AwsClients, queue_url: Callable[[QueueDef], str]) -> None:
        self._aws = aws
        self._queue_url = queue_url

    def send_all(self, queue: QueueDef, bodies: Sequence[str]) -> list[int]:
        """Send every body, ten per request; the indexes of those SQS refused twice (the caller reports
        them)."""
        url = self._queue_url(queue)
        refused: list[int] = []
        for first in range(0, len(bodies), SEND_BATCH):
            chosen = range(first, min(first + SEND_BATCH, len(bodies)))
            pending = {str(index): bodies[index] for index in chosen}
            for _attempt in range(2):
                answer = self._aws.sqs.send_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": index, "MessageBody": body} for index, body in pending.items()],
                )
                pending = {entry["Id"]: pending[entry["Id"]] for entry in answer.get("Failed", [])}
                if not pending:
                    break
            refused += sorted(int(index) for index in pending)
        return refused
