"""The DynamoDB tables of a territory, built from `sas_common.tables.TABLES` (the one definition)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs import pascal
from sas_common.tables import TABLES, IndexDef, TableDef

# Data-plane actions of grantReadWriteData, granted on the tables and on each index by name (no `index/*`
# wildcard). Transactions are authorised through these same actions.
READ_WRITE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)


def _string_attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def projection(index: IndexDef) -> tuple[dynamodb.ProjectionType, list[str] | None]:
    """Same semantics as the local runtime: None projects ALL, () KEYS_ONLY, otherwise INCLUDE."""
    if index.projected is None:
        return dynamodb.ProjectionType.ALL, None
    if not index.projected:
        return dynamodb.ProjectionType.KEYS_ONLY, None
    return dynamodb.ProjectionType.INCLUDE, list(index.projected)


class Tables(Construct):
    """Every table of `TABLES`: on-demand, point-in-time recovery, deletion protection, retained on stack
    deletion, encrypted with the AWS-managed key, TTL where the definition names an attribute."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.definitions: dict[str, TableDef] = {definition.logical_name: definition for definition in TABLES}
        self.tables: dict[str, dynamodb.Table] = {
            definition.logical_name: self._table(definition) for definition in TABLES
        }

    def _table(self, definition: TableDef) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            pascal(definition.logical_name),
            partition_key=_string_attribute(definition.partition_key),
            sort_key=_string_attribute(definition.sort_key) if definition.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=definition.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if definition.stream else None,
        )
        for index in definition.indexes:
            projection_type, non_key_attributes = projection(index)
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string_attribute(index.partition_key),
                sort_key=_string_attribute(index.sort_key),
                projection_type=projection_type,
                non_key_attributes=non_key_attributes,
            )
        return table

    @property
    def table_names(self) -> dict[str, str]:
        """logical name → physical table name (a token), as `function_environment` expects."""
        return {name: table.table_name for name, table in self.tables.items()}

    def resource_arns(self) -> list[str]:
        """Every table ARN and every index ARN, each by name."""
        arns: list[str] = []
        for name, table in self.tables.items():
            arns.append(table.table_arn)
            arns.extend(f"{table.table_arn}/index/{index.name}" for index in self.definitions[name].indexes)
        return arns

    def grant_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read/write data on every table and index (the actions of grantReadWriteData, no wildcard)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(READ_WRITE_ACTIONS), resource_arns=self.resource_arns()
        )
