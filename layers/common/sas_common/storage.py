"""DynamoDB access shared by every store: one boto3 resource per process, tables by definition.

Bulk paths (a source's slots replaced, pattern 6) use `dynamodb_client()` instead: the low-level client,
with items turned into DynamoDB's wire format by `wire_item`/`python_item` below. The resource layer
deep-copies every request and runs boto3's TypeSerializer and botocore's parameter validation over each
attribute, which costs more CPU than the item itself once 25 items go in one request.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import boto3
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.config import Config

from sas_common.settings import get_settings
from sas_common.tables import TableDef

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table


@cache
def dynamodb() -> DynamoDBServiceResource:
    return boto3.resource("dynamodb")


@cache
def dynamodb_client() -> DynamoDBClient:
    """The low-level client for bulk paths, shared by threads (clients are thread-safe, resources are not).

    Its callers build their requests from items they made themselves, so botocore's client-side parameter
    validation is off: it walks every attribute of every item and DynamoDB validates the request anyway
    (a malformed one fails with a ValidationException instead of a ParamValidationError).
    """
    return boto3.client("dynamodb", config=Config(parameter_validation=False))


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
    dynamodb_client.cache_clear()


def to_item(value: Any) -> Any:
    """Make a JSON-like value storable: DynamoDB numbers are Decimal, never float."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: to_item(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [to_item(inner) for inner in value]
    return value


_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def wire_value(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB AttributeValue, exactly as boto3's TypeSerializer makes it.

    Plain str, bool, int, Decimal, dict and list are converted here; anything else (None, sets, bytes, str
    subclasses, tuples; floats, which are refused) goes through TypeSerializer itself."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is Decimal:
        number = str(DYNAMODB_CONTEXT.create_decimal(value))
        if number in ("Infinity", "NaN"):
            raise TypeError("Infinity and NaN not supported")
        return {"N": number}
    if kind is dict:
        return {"M": {key: wire_value(inner) for key, inner in value.items()}}
    if kind is list:
        return {"L": [wire_value(inner) for inner in value]}
    return cast(dict[str, Any], _SERIALIZER.serialize(value))


def wire_item(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An item as the low-level client writes it (what the resource layer would send for it)."""
    return {name: wire_value(value) for name, value in item.items()}


def python_value(value: Mapping[str, Any]) -> Any:
    """A DynamoDB AttributeValue as a Python value, exactly as boto3's TypeDeserializer reads it."""
    if len(value) == 1:
        kind, inner = next(iter(value.items()))
        if kind == "S" or kind == "BOOL":
            return inner
        if kind == "N":
            return DYNAMODB_CONTEXT.create_decimal(inner)
        if kind == "M":
            return {key: python_value(nested) for key, nested in inner.items()}
        if kind == "L":
            return [python_value(nested) for nested in inner]
    return _DESERIALIZER.deserialize(cast(Any, value))


def python_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """An item read by the low-level client, as the resource layer would have returned it."""
    return {name: python_value(value) for name, value in item.items()}
