"""The `idempotency` table: powertools idempotency records, so that a retried request answers what the first
one did (`POST /bookings` with an `Idempotency-Key`).

The record's key is `<scope>#<md5 of {caller, key}>` (powertools' layout: `id`, TTL `expiration`); its
`validation` is the md5 of the request's content, so the same key sent with another body is refused
rather than answered with the first request's result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from sas_common.errors import Conflict
from sas_common.stores.clients import AwsClients

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# How long a key answers the same result (a regulator's retry comes within minutes; a day is ample).
KEEP_SECONDS = 24 * 3600


class IdempotencyStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=aws.dynamodb_client)

    def once(
        self,
        scope: str,
        caller: str,
        key: str,
        content: Mapping[str, Any],
        work: Callable[[], dict[str, Any]],
        context: LambdaContext | None = None,
    ) -> dict[str, Any]:
        """`work()`'s result, computed once per (scope, caller, key): a retry answers the stored result.

        Conflict `idempotency_key_reused` when the key was used with other content, and
        `request_in_progress` while the first request with this key is still running. A `work()` that
        raises leaves no record: the retry runs again. With `context` (a Lambda's), a run that dies
        mid-way frees its key when the invocation's time is up.
        """
        config = IdempotencyConfig(
            event_key_jmespath="[caller, key]",
            payload_validation_jmespath="content",
            expires_after_seconds=KEEP_SECONDS,
            raise_on_no_idempotency_key=True,
        )
        if context is not None:
            config.register_lambda_context(context)

        def work_on(request: dict[str, Any]) -> dict[str, Any]:
            return work()

        run: Callable[..., dict[str, Any]] = idempotent_function(
            work_on,
            data_keyword_argument="request",
            persistence_store=self._persistence,
            config=config,
            key_prefix=scope,
        )
        try:
            result = run(request={"caller": caller, "key": key, "content": dict(content)})
        except IdempotencyValidationError:
            raise Conflict(
                "this Idempotency-Key was used for another request",
                field="Idempotency-Key",
                rule="idempotency_key_reused",
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict(
                "the first request with this Idempotency-Key is still running: retry in a moment",
                field="Idempotency-Key",
                rule="request_in_progress",
            ) from None
        return result
