"""Lambda's SQS event source, locally: moto's queue → the queue's consumer function.

As the managed event source does: receive up to the queue's batch size, hand the consumer an SQS event,
delete the messages it did not report as failed (`batchItemFailures`); a failed message comes back after
its visibility timeout and, past `max_receive_count`, moto moves it to the dead-letter queue (the redrive
policy set from the same definition as the stack's).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import boto3

from sas_common.observability import logger
from sas_common.queues import QueueDef
from sas_local.functions import consumer_function_name
from sas_local.gateway import Invoke
from sas_local.lambdas import REGION


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's own
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


class LocalEventSource:
    def __init__(self, queue: QueueDef, url: str, invoke: Invoke) -> None:
        self.queue = queue
        self.url = url
        self._invoke = invoke
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._lock = threading.Lock()  # one drain at a time: the background loop or a job run

    def drain(self) -> int:
        """Deliver every visible message; the number of messages handed to the consumer."""
        delivered = 0
        with self._lock:
            while True:
                received = self._sqs.receive_message(
                    QueueUrl=self.url,
                    MaxNumberOfMessages=min(10, self.queue.batch_size),
                    AttributeNames=["All"],
                    WaitTimeSeconds=0,
                ).get("Messages", [])
                if not received:
                    return delivered
                delivered += len(received)
                self._deliver(received)

    def _deliver(self, messages: Sequence[Mapping[str, Any]]) -> None:
        failed: set[str] = set()
        try:
            answer = self._invoke(consumer_function_name(self.queue), sqs_event(messages, self._arn))
            failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}
        except Exception:  # the whole invocation failed: every message comes back, as in production
            logger.exception("queue consumer failed", extra={"queue": self.queue.logical_name})
            return
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
            )


class EventSourceLoop:
    """Polls every event source about once a second, as the managed pollers do, until stopped."""

    def __init__(self, sources: list[LocalEventSource]) -> None:
        self.sources = sources
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sas-local-event-sources", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(timeout=1.0):
            for source in self.sources:
                try:
                    source.drain()
                except Exception:
                    logger.exception("local event source failed", extra={"queue": source.queue.logical_name})
