"""The eligibility exports' place in the stack: the export job (`sas_common.jobs.EXPORT_ELIGIBILITY`)
writes under `exports/` of the territory's bucket (the directory import bucket, infra/constructs/
directory.py), and nothing else does.

One bucket rather than two: the territory already has a private, encrypted, TLS-only bucket, and the prefix
keeps the exports apart (the import rule only fires under `imports/`; only `imports/` and `summaries/`
expire, so exports are kept: they are what the health insurance was paid on). The job's function alone
gets the bucket's name (`SAS_EXPORT_BUCKET`) and `s3:PutObject` plus the multipart actions on `exports/*`;
the API's exports are computed on request and never read the bucket.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment as Ack
from aws_cdk import Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from sas_common.settings import EXPORT_BUCKET_ENV
from sas_common.stores.exports import EXPORT_PREFIX

WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")


def grant_exports(bucket: s3.Bucket, writer: lambda_.Function) -> None:
    """`writer` may write the exports, and knows where."""
    writer.add_environment(EXPORT_BUCKET_ENV, bucket.bucket_name)
    writer.add_to_role_policy(
        iam.PolicyStatement(
            actions=list(WRITE_ACTIONS), resources=[bucket.arn_for_objects(f"{EXPORT_PREFIX}*")]
        )
    )
    role = writer.role
    assert role is not None
    stack = Stack.of(bucket)
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    logical_id = stack.resolve(stack.get_logical_id(cfn_bucket))
    Validations.of(role).acknowledge(
        Ack(
            id=f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{EXPORT_PREFIX}*]",
            reason="The eligibility exports' objects under the territory bucket's exports/ prefix: PutObject "
            "(and aborting its own multipart uploads) there, nothing else.",
        )
    )
