"""The territory's bucket, `exports/` prefix: the eligibility exports the scheduled job writes.

The bucket is the territory's import bucket (infra/constructs/directory.py), whose other prefixes are
`imports/` (extracts, kept 30 days) and `summaries/`; exports are kept (no lifecycle rule): they are what
the health insurance was sent. Keys (sas_common.eligibility.service):

    exports/effecteurs/<YYYY>-Q<n>.csv      the quarter's effecteurs (indicators 8 and 9)
    exports/regulation/<YYYY-MM>.csv        the month's regulators' shifts

An export is streamed: lines are gathered into parts of `PART_BYTES` and sent as a multipart upload (a
single PutObject when the whole is smaller than one part), so memory holds one part, whatever the
territory's size. Writing the same period again replaces the object: a recomputation never adds to one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sas_common.stores.clients import AwsClients

EXPORT_PREFIX = "exports/"
CSV = "text/csv; charset=utf-8"
PART_BYTES = 8 * 1024 * 1024  # S3 parts are at least 5 MiB, the last one aside


class ExportBucket:
    def __init__(self, aws: AwsClients, bucket: str | None) -> None:
        self._aws = aws
        self.bucket = bucket

    def _name(self) -> str:
        if not self.bucket:
            raise RuntimeError("no export bucket: SAS_EXPORT_BUCKET is not set for this function")
        return self.bucket

    def write(self, key: str, lines: Iterable[str], content_type: str = CSV) -> int:
        """Stream `lines` (UTF-8) to `exports/<key>`; the bytes written."""
        bucket, target = self._name(), EXPORT_PREFIX + key
        buffer = bytearray()
        upload: str | None = None  # the multipart upload's id, once a part is full
        parts: list[dict[str, Any]] = []
        total = 0
        try:
            for text in lines:
                buffer += text.encode()
                if len(buffer) >= PART_BYTES:
                    upload = upload or self._start(bucket, target, content_type)
                    total += self._part(bucket, target, upload, parts, bytes(buffer))
                    buffer.clear()
            if upload is None:
                self._aws.s3.put_object(
                    Bucket=bucket, Key=target, Body=bytes(buffer), ContentType=content_type
                )
                return len(buffer)
            if buffer:
                total += self._part(bucket, target, upload, parts, bytes(buffer))
            self._aws.s3.complete_multipart_upload(
                Bucket=bucket, Key=target, UploadId=upload, MultipartUpload={"Parts": cast(Any, parts)}
            )
        except BaseException:
            if upload is not None:
                self._aws.s3.abort_multipart_upload(Bucket=bucket, Key=target, UploadId=upload)
            raise
        return total

    def _start(self, bucket: str, key: str, content_type: str) -> str:
        answer = self._aws.s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
        return answer["UploadId"]

    def _part(self, bucket: str, key: str, upload_id: str, parts: list[dict[str, Any]], body: bytes) -> int:
        number = len(parts) + 1
        answer = self._aws.s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        parts.append({"ETag": answer["ETag"], "PartNumber": number})
        return len(body)

    def read(self, key: str) -> bytes:
        """An export's bytes (ops and tests)."""
        body = self._aws.s3.get_object(Bucket=self._name(), Key=EXPORT_PREFIX + key)["Body"]
        return bytes(body.read())
