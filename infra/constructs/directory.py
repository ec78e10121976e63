"""The directory import: a private bucket for extracts too large for the HTTP API, and the function an
object put under `imports/` triggers through EventBridge (`agenda.handler.directory_import_s3_handler`),
which writes its summary under `summaries/`. It geocodes with the BAN, as every function that may geocode
(see the stack).

A failed import is not retried (the admin puts the file again): the function's error alarm reports it."""

from __future__ import annotations

from aws_cdk import Acknowledgment as Ack
from aws_cdk import Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.compute import Compute
from sas_common.capabilities import Capability, FunctionSpec
from sas_common.directory.bucket import IMPORT_PREFIX, SUMMARY_PREFIX
from sas_common.geocoding import BAN, GEOCODER_ENV

# A national file streams in minutes (bench/directory_import.py): Lambda's longest timeout, memory to spare.
IMPORT_FUNCTION = FunctionSpec(
    Capability.AGENDA,
    "directory import of an extract put in the import bucket",
    memory_mb=1024,
    timeout_seconds=900,
)
IMPORT_ENTRYPOINT = "directory_import_s3_handler"
EXTRACTS_KEPT = Duration.days(30)
SUMMARIES_KEPT = Duration.days(400)


class DirectoryImports(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, compute: Compute) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(prefix=IMPORT_PREFIX, expiration=EXTRACTS_KEPT),
                s3.LifecycleRule(prefix=SUMMARY_PREFIX, expiration=SUMMARIES_KEPT),
            ],
        )
        self.function = compute.add_function(
            self, "Import", IMPORT_FUNCTION, label="directory-import", entrypoint=IMPORT_ENTRYPOINT
        )
        self.function.add_environment(GEOCODER_ENV, BAN)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(f"{IMPORT_PREFIX}*")]
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{SUMMARY_PREFIX}*")]
            )
        )
        # S3 sends its events to EventBridge (set on the bucket itself: no notification custom resource),
        # where a rule picks the objects created under imports/.
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        self._cfn_bucket = cfn_bucket
        cfn_bucket.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        self.rule = events.Rule(
            self,
            "ExtractCreated",
            description="an extract put under imports/ in the directory import bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [self.bucket.bucket_name]},
                    "object": {"key": [{"prefix": IMPORT_PREFIX}]},
                },
            ),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        self._acknowledge()

    def _acknowledge(self) -> None:
        Validations.of(self.bucket).acknowledge(
            Ack(
                id="AwsSolutions-S1",
                reason="Extracts are public directory data, uploaded by the territory's admins; CloudTrail"
                " records who put them. Server access logs would need a second bucket for no more insight.",
            )
        )
        role = self.function.role
        assert role is not None
        bucket = Stack.of(self).resolve(Stack.of(self).get_logical_id(self._cfn_bucket))
        for prefix in (IMPORT_PREFIX, SUMMARY_PREFIX):
            Validations.of(role).acknowledge(
                Ack(
                    id=f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*]",
                    reason=f"Objects under the import bucket's {prefix} prefix: GetObject on imports/,"
                    " PutObject on summaries/, nothing else.",
                )
            )
