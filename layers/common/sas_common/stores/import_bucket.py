"""The territory's import bucket (S3): extracts too large for the HTTP API, and their import summaries
(layout in sas_common.directory.bucket)."""

from __future__ import annotations

from collections.abc import Iterator

from sas_common.directory.bucket import summary_key
from sas_common.stores.clients import AwsClients


class ImportBucket:
    def __init__(self, aws: AwsClients) -> None:
        self._aws = aws

    def chunks(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's bytes, streamed (never the whole object in memory)."""
        body = self._aws.s3.get_object(Bucket=bucket, Key=key)["Body"]
        return iter(body.iter_chunks())

    def put_summary(self, bucket: str, extract_key: str, summary_json: bytes) -> str:
        """Write an import's summary beside its extract; the key written."""
        target = summary_key(extract_key)
        self._aws.s3.put_object(Bucket=bucket, Key=target, Body=summary_json, ContentType="application/json")
        return target
