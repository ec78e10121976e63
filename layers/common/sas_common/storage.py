"""DynamoDB access shared by every store: one boto3 resource per process, tables by definition."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from sas_common.settings import get_settings
from sas_common.tables import TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table


@cache
def dynamodb() -> DynamoDBServiceResource:
    return boto3.resource("dynamodb")


def table(definition: TableDef) -> Table:
    return dynamodb().Table(get_settings().table_name(definition))


def query_all(definition: TableDef, **query: Any) -> list[dict[str, Any]]:
    """Every item a Query matches, page after page (for key ranges known to be small)."""
    items: list[dict[str, Any]] = []
    while True:
        page = table(definition).query(**query)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def reset_clients() -> None:
    """Forget cached clients (the local runtime and tests call it when they swap the AWS backend)."""
    dynamodb.cache_clear()


def to_item(value: Any) -> Any:
    """Make a JSON-like value storable: DynamoDB numbers are Decimal, never float."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: to_item(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [to_item(inner) for inner in value]
    return value
