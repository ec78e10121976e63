"""SQS access shared by producers: one client per process, queues by definition (sas_common.queues)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import boto3

from sas_common.queues import QueueDef
from sas_common.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SEND_BATCH = 10  # SendMessageBatch takes at most ten messages


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs")


def reset_clients() -> None:
    sqs.cache_clear()


def send_all(queue: QueueDef, bodies: Sequence[str]) -> list[int]:
    """Send every body, ten per request; the indexes of those SQS refused twice (the caller reports them)."""
    url = get_settings().queue_url(queue)
    refused: list[int] = []
    for first in range(0, len(bodies), SEND_BATCH):
        pending = {str(index): bodies[index] for index in range(first, min(first + SEND_BATCH, len(bodies)))}
        for _attempt in range(2):
            answer = sqs().send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": index, "MessageBody": body} for index, body in pending.items()],
            )
            pending = {entry["Id"]: pending[entry["Id"]] for entry in answer.get("Failed", [])}
            if not pending:
                break
        refused += sorted(int(index) for index in pending)
    return refused
