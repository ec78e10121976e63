"""DynamoDB plumbing for the stores (`sas_common.stores`), and nothing else: the wire format, and the paging,
batching and retrying every store needs.

Only the stores import this module (and boto3/botocore); an import-linter contract keeps it so.

Bulk paths (a source's slots replaced, pattern 6) use the low-level client with items turned into
DynamoDB's wire format by `wire_item`/`python_item` below. The resource layer deep-copies every request and
runs boto3's TypeSerializer and botocore's parameter validation over each attribute, which costs more CPU
than the item itself once 25 items go in one request.
"""

from __future__ import annotations

import json
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table

BATCH_WRITE_SIZE = 25  # BatchWriteItem's limit
BATCH_GET_SIZE = 100  # BatchGetItem's limit
MAX_BATCH_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0
CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


class UnprocessedWrites(RuntimeError):
    """DynamoDB kept leaving some of a batch's writes unprocessed, attempt after attempt."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


T = TypeVar("T")


def unless_condition_fails(write: Callable[[], T]) -> T | None:
    """Run a conditional write; None when its condition failed (any other error propagates)."""
    try:
        return write()
    except ClientError as error:
        if error_code(error) == CONDITION_FAILED:
            return None
        raise


def query_all(table: Table, **query: Any) -> list[dict[str, Any]]:
    """Every item a Query matches, page after page (for key ranges known to be small)."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_all_wire(client: DynamoDBClient, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item (wire format) a low-level Query matches, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.query(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# Reads whose answer is taken as DynamoDB's JSON has it (`query_wire_page`, `batch_get_plain`), in the
# thread sending them; the clients the hook is registered on.
_AS_SENT = threading.local()
_DECODING: weakref.WeakSet[Any] = weakref.WeakSet()


@contextmanager
def _as_sent_answers(client: DynamoDBClient) -> Iterator[None]:
    """Within: this thread's Query and BatchGetItem answers decoded straight from DynamoDB's JSON.

    botocore's parser walks every attribute of every item against the service model (≈ 100 µs an item of
    the slots table: most of a search's CPU). DynamoDB's JSON already is what that parse gives (attribute
    values as `{"S": …}`, numbers as text) except for binary values, which it base64-decodes: only for
    tables whose items hold none. Errors are parsed as usual."""
    if client not in _DECODING:
        for operation in ("Query", "BatchGetItem"):
            client.meta.events.register(
                f"before-parse.dynamodb.{operation}", _as_sent, unique_id=f"sas-as-sent-{operation}"
            )
        _DECODING.add(client)
    _AS_SENT.on = True
    try:
        yield
    finally:
        _AS_SENT.on = False


def _as_sent(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """botocore's `before-parse` hook: the answer's body decoded here, the parser left an empty one."""
    if not getattr(_AS_SENT, "on", False) or response_dict["status_code"] >= 300:
        return
    customized_response_dict.update(json.loads(response_dict["body"]))
    response_dict["body"] = b"{}"


def query_wire_page(client: DynamoDBClient, query: Mapping[str, Any]) -> dict[str, Any]:
    """One page of a low-level Query, items in the wire format, decoded from DynamoDB's JSON as it came
    (`_as_sent_answers`: tables without binary values)."""
    with _as_sent_answers(client):
        return cast(dict[str, Any], client.query(**query))


def _chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for first in range(0, len(values), size):
        yield values[first : first + size]


def _backoff(attempt: int) -> None:
    # Full jitter: writers throttled together do not come back together.
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
    time.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not a secret


def batch_get(
    resource: DynamoDBServiceResource,
    table_name: str,
    keys: Sequence[Mapping[str, str]],
    **options: Any,
) -> list[dict[str, Any]]:
    """The items found among `keys` (distinct), 100 to a BatchGetItem, unprocessed keys asked again after
    a backoff; `options` (ProjectionExpression, ConsistentRead…) apply to every request."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(keys, BATCH_GET_SIZE):
        request: dict[str, Any] = {table_name: {"Keys": list(chunk), **options}}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            answer = resource.batch_get_item(RequestItems=request)
            found += answer["Responses"].get(table_name, [])
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                break
            _backoff(attempt)
        else:
            raise RuntimeError(f"DynamoDB left keys of {table_name} unprocessed after retries")
    return found


def batch_get_plain(
    client: DynamoDBClient, table_name: str, keys: Sequence[Mapping[str, str]], **options: Any
) -> list[dict[str, Any]]:
    """What `batch_get` gives (keys and items as the resource layer has them), through the low-level client
    with the answers decoded from DynamoDB's JSON (`_as_sent_answers`: tables without binary values) and
    their items by `python_item` — a search reads a page's owners this way, several times cheaper."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(keys, BATCH_GET_SIZE):
        request: dict[str, Any] = {table_name: {"Keys": [wire_item(dict(key)) for key in chunk], **options}}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            with _as_sent_answers(client):
                answer = client.batch_get_item(RequestItems=request)
            found += [python_item(item) for item in answer["Responses"].get(table_name, [])]
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                break
            _backoff(attempt)
        else:
            raise RuntimeError(f"DynamoDB left keys of {table_name} unprocessed after retries")
    return found


def write_batches(client: DynamoDBClient, table_name: str, writes: Sequence[dict[str, Any]]) -> int:
    """Send write requests (PutRequest/DeleteRequest, wire format, distinct keys) 25 to a BatchWriteItem,
    in order, sending unprocessed ones again after a backoff; returns the number of requests made.

    Past `MAX_BATCH_ATTEMPTS` requests for one batch, `UnprocessedWrites` is raised (the items written stay
    written: a batch is not atomic)."""
    requests = 0
    for chunk in _chunks(writes, BATCH_WRITE_SIZE):
        pending = list(chunk)
        attempts = 0
        while pending:
            answer = client.batch_write_item(RequestItems={table_name: pending})  # type: ignore[dict-item]
            requests += 1
            attempts += 1
            pending = cast(list[dict[str, Any]], answer.get("UnprocessedItems", {}).get(table_name, []))
            if pending and attempts >= MAX_BATCH_ATTEMPTS:
                raise UnprocessedWrites(
                    f"{len(pending)} write(s) to {table_name} still unprocessed after {attempts} attempts"
                )
            if pending:
                _backoff(attempts)
    return requests


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
