"""Embedded AWS for the local runtime: moto, resources created from the production definitions.

Two ways to run moto, one per way the platform runs its functions (`sas_local.platform`):

- in-process (`mock_aws`): boto3 calls made in this process are answered by moto without a socket; the
  test suite's mode, where the handlers run in this process too;
- as a server (`ThreadedMotoServer`, on an ephemeral port of 127.0.0.1, in this process): the functions'
  worker processes reach it through `AWS_ENDPOINT_URL` and the fake credentials, as deployed functions
  reach AWS, and this process's own boto3 calls go there too. moto's backends — and so the adaptations of
  `moto_adaptations` — live in this process either way.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, cast
from unittest import mock

import boto3
from moto import mock_aws
from moto.core.config import DefaultConfig, default_user_config

from sas_common.queues import QUEUES, QueueDef
from sas_common.tables import TABLES, TableDef

REGION = "eu-west-3"
# The territory's bucket (the stack's directory import bucket): eligibility exports go under `exports/`.
LOCAL_BUCKET = "sas-local-directory-imports"
# Step Functions really execute (moto's ASL interpreter), Lambda tasks run in-process, never in Docker.
MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def create_table_request(table: TableDef, physical_name: str) -> dict[str, Any]:
    """The CreateTable request for a table definition (the CDK stack builds its tables from the same one)."""
    key_names = [table.partition_key] + ([table.sort_key] if table.sort_key else [])
    for index in table.indexes:
        key_names += [index.partition_key, index.sort_key]
    request: dict[str, Any] = {
        "TableName": physical_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in dict.fromkeys(key_names)
        ],
        "KeySchema": [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
        + ([{"AttributeName": table.sort_key, "KeyType": "RANGE"}] if table.sort_key else []),
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": _projection(index.projected),
            }
            for index in table.indexes
        ]
    return request


def _projection(projected: tuple[str, ...] | None) -> dict[str, Any]:
    if projected is None:
        return {"ProjectionType": "ALL"}
    if not projected:
        return {"ProjectionType": "KEYS_ONLY"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(projected)}


def local_table_names() -> dict[str, str]:
    return {table.logical_name: f"sas-local-{table.logical_name}" for table in TABLES}


def local_queue_name(logical_name: str) -> str:
    return "sas-local-" + logical_name.replace("_", "-")


def create_queue_requests(queue: QueueDef) -> tuple[dict[str, Any], dict[str, Any]]:
    """CreateQueue for the dead-letter queue, then for the queue (whose redrive policy needs the first's
    ARN, filled in by the caller under `RedrivePolicy`); the stack sets the same attributes."""
    day = 24 * 3600
    dead_letters = {
        "QueueName": local_queue_name(queue.dead_letter_name),
        "Attributes": {"MessageRetentionPeriod": str(queue.dead_letter_retention_days * day)},
    }
    main = {
        "QueueName": local_queue_name(queue.logical_name),
        "Attributes": {
            "VisibilityTimeout": str(queue.visibility_timeout_seconds),
            "MessageRetentionPeriod": str(queue.retention_days * day),
        },
    }
    return dead_letters, main


class LocalAws:
    """Starts moto (in-process, or as a server when `server`), creates every table and queue; `stop()` tears
    it all down."""

    def __init__(self, server: bool = False) -> None:
        self.server = server
        self._mock = None if server else mock_aws(config=MOTO_CONFIG)
        self._server: Any = None
        self._config = mock.patch.dict(default_user_config, MOTO_CONFIG)
        self.table_names = local_table_names()
        self.queue_urls: dict[str, str] = {}  # logical name → URL, once started
        self.endpoint_url: str | None = None  # the server's, once started

    def environment(self) -> dict[str, str]:
        """What a function needs to reach this moto: the fake credentials, and the server's address."""
        if self.endpoint_url is None:
            return dict(FAKE_CREDENTIALS)
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}

    def start(self) -> LocalAws:
        os.environ.update(FAKE_CREDENTIALS)
        if self._mock is not None:
            self._mock.start()
        else:
            self._start_server()
        client = boto3.client("dynamodb", region_name=REGION)
        for table in TABLES:
            name = self.table_names[table.logical_name]
            client.create_table(**create_table_request(table, name))
            if table.ttl_attribute:
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
        self._create_queues()
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=LOCAL_BUCKET, CreateBucketConfiguration=cast(Any, {"LocationConstraint": REGION})
        )
        return self

    def _create_queues(self) -> None:
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in QUEUES:
            dead_letters, main = create_queue_requests(queue)
            dead_url = sqs.create_queue(**dead_letters)["QueueUrl"]
            dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            main["Attributes"]["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(queue.max_receive_count)}
            )
            self.queue_urls[queue.logical_name] = sqs.create_queue(**main)["QueueUrl"]
            self.queue_urls[queue.dead_letter_name] = dead_url

    def _start_server(self) -> None:
        from moto.server import ThreadedMotoServer  # Flask and the rest: only when moto serves

        self._config.start()  # what `mock_aws(config=...)` sets, for the server's requests
        # werkzeug (moto's server) logs every request at INFO: the functions' AWS calls are not news.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        port = self._server.get_host_and_port()[1]
        self.endpoint_url = f"http://127.0.0.1:{port}"
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        # moto's Step Functions interpreter calls the other services (Lambda tasks) at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(port)

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            return
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._config.stop()
            for name in ("AWS_ENDPOINT_URL", "MOTO_PORT"):
                os.environ.pop(name, None)
