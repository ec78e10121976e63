"""Importing the national directory extract: `POST /directory/imports` (bodies up to the API's limit) and
the import of an extract dropped in the import bucket (larger files, `directory_import_s3_handler`)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from sas_common.answers import answers
from sas_common.api import new_router, runtime
from sas_common.directory import ImportSummary, import_extract, import_from_bucket, text_lines
from sas_common.observability import logger
from sas_common.routes import DIRECTORY_IMPORT
from sas_common.runtime import Runtime

router = new_router()


def _body_lines() -> Iterator[str]:
    event = router.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        return text_lines([base64.b64decode(body)])
    return iter(io.StringIO(body, newline=None))


@router.post(
    DIRECTORY_IMPORT.resolver_path,
    summary=DIRECTORY_IMPORT.summary,
    description=(
        "Body: the extract as text (`text/plain` or `text/csv`, UTF-8), header line first (docs/interop.md). "
        "Only the territory's departments are imported; a wrong header refuses the whole file (400, naming "
        "the first differing column). Files over the API's body limit go through the import bucket."
    ),
    tags=["directory"],
    responses=answers(
        DIRECTORY_IMPORT,
        {200: "what the import read, wrote, skipped and rejected"},
        (400, "the extract is empty or its header is not the expected one (`rule`: `extract_header`)"),
    ),
)
def post_import() -> ImportSummary:
    summary = import_extract(runtime(router), _body_lines())
    logger.info("directory imported", extra=_log_fields(summary))
    return summary


def created_objects(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of each object an event reports: an EventBridge `Object Created` event (what the
    stack wires) or an S3 notification's records. Keys arrive URL-encoded."""
    if event.get("detail-type") == "Object Created":
        detail = event["detail"]
        return [(detail["bucket"]["name"], unquote_plus(detail["object"]["key"]))]
    return [(r.s3.bucket.name, unquote_plus(r.s3.get_object.key)) for r in S3Event(event).records]


def import_s3_event(rt: Runtime, event: dict[str, Any]) -> dict[str, Any]:
    """Import each extract the event names, and write its summary beside it, under `summaries/`."""
    done = []
    for bucket, key in created_objects(event):
        summary, target = import_from_bucket(rt, bucket, key)
        logger.info("directory imported", extra={"bucket": bucket, "key": key, **_log_fields(summary)})
        done.append({"key": key, "summary_key": target, **_log_fields(summary)})
    return {"imports": done}


def _log_fields(summary: ImportSummary) -> dict[str, Any]:
    return summary.model_dump(exclude={"rejected"})
