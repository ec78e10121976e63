"""A per-editor request budget per minute, shared by every poll worker (`platform_state`).

Item `EDITOR#<editor_id> / RATE#<YYYY-MM-DDTHH:MM>`: `count`, the requests sent to that editor in that UTC
minute. `take` adds one only while the count is under the budget (one conditional UpdateItem), so however
many workers run at once, an editor never gets more than its budget in a minute. Items expire after a day
(TTL); nothing reads them but `take`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.tables import PK, PLATFORM_STATE, SK, editor_state_pk

KEEP = timedelta(days=1)


def rate_key(editor_id: str, now: datetime) -> dict[str, str]:
    return {PK: editor_state_pk(editor_id), SK: "RATE#" + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")}


def take(editor_id: str, now: datetime, budget: int) -> bool:
    """Count one request to the editor in this minute; False (nothing counted) when the budget is spent."""
    try:
        storage.table(PLATFORM_STATE).update_item(
            Key=rate_key(editor_id, now),
            UpdateExpression="ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(#count) OR #count < :budget",
            ExpressionAttributeNames={"#count": "count", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":one": 1,
                ":budget": budget,
                ":ttl": int((now + KEEP).timestamp()),
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
