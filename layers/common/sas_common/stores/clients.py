"""The AWS clients of one runtime (`sas_common.runtime`), each made at its first use."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


# Connections the low-level DynamoDB client keeps: a search sends up to 32 Queries at once.
MAX_CONNECTIONS = 32


class AwsClients:
    """boto3 clients are thread-safe and shared by the threads of a store; the DynamoDB resource is not, and
    serves one invocation at a time, as a Lambda instance does."""

    @cached_property
    def dynamodb(self) -> DynamoDBServiceResource:
        return boto3.resource("dynamodb")

    @cached_property
    def dynamodb_client(self) -> DynamoDBClient:
        """The low-level client for bulk paths.

        Its callers build their requests from items they made themselves, so botocore's client-side
        parameter validation is off: it walks every attribute of every item and DynamoDB validates the
        request anyway (a malformed one fails with a ValidationException instead of a ParamValidationError).
        """
        return boto3.client(
            "dynamodb", config=Config(parameter_validation=False, max_pool_connections=MAX_CONNECTIONS)
        )

    @cached_property
    def sqs(self) -> SQSClient:
        return boto3.client("sqs")

    @cached_property
    def s3(self) -> S3Client:
        return boto3.client("s3")

    @cached_property
    def stepfunctions(self) -> SFNClient:
        return boto3.client("stepfunctions")

    @cached_property
    def kms(self) -> KMSClient:
        return boto3.client("kms")
