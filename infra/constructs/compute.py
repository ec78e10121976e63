"""The Lambda functions: one per capability (`FUNCTIONS`), plus the ones schedules add (`add_function`)."""

from __future__ import annotations

from aws_cdk import Acknowledgment as Ack
from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import REPO_ROOT
from infra.constructs import pascal
from infra.constructs.layer import ARCHITECTURE, RUNTIME
from infra.constructs.queues import Queues
from infra.constructs.storage import Tables
from sas_common.capabilities import API_ENTRYPOINT, FUNCTIONS, Capability, FunctionSpec
from sas_common.settings import TERRITORY_ENV, function_environment
from sas_common.territory import TerritoryConfig

FUNCTIONS_DIR = REPO_ROOT / "functions"

# The retention periods CloudWatch Logs accepts, in days, shortest first.
_RETENTION: tuple[tuple[int, logs.RetentionDays], ...] = (
    (1, logs.RetentionDays.ONE_DAY),
    (3, logs.RetentionDays.THREE_DAYS),
    (5, logs.RetentionDays.FIVE_DAYS),
    (7, logs.RetentionDays.ONE_WEEK),
    (14, logs.RetentionDays.TWO_WEEKS),
    (30, logs.RetentionDays.ONE_MONTH),
    (60, logs.RetentionDays.TWO_MONTHS),
    (90, logs.RetentionDays.THREE_MONTHS),
    (120, logs.RetentionDays.FOUR_MONTHS),
    (150, logs.RetentionDays.FIVE_MONTHS),
    (180, logs.RetentionDays.SIX_MONTHS),
    (365, logs.RetentionDays.ONE_YEAR),
    (400, logs.RetentionDays.THIRTEEN_MONTHS),
    (545, logs.RetentionDays.EIGHTEEN_MONTHS),
    (731, logs.RetentionDays.TWO_YEARS),
    (1096, logs.RetentionDays.THREE_YEARS),
    (1827, logs.RetentionDays.FIVE_YEARS),
    (2192, logs.RetentionDays.SIX_YEARS),
    (2557, logs.RetentionDays.SEVEN_YEARS),
    (2922, logs.RetentionDays.EIGHT_YEARS),
    (3288, logs.RetentionDays.NINE_YEARS),
    (3653, logs.RetentionDays.TEN_YEARS),
)

# Lambda limits the whole environment (names and values) to 4 KB.
LAMBDA_ENVIRONMENT_LIMIT = 4096
# What a table name or queue URL token weighs once CloudFormation resolves it (a queue URL adds the
# region's endpoint and the account to the name: stack name + logical id + suffix).
_RESOLVED_TOKEN = {"TABLE_": 100, "QUEUE_": 160}


def retention_days(days: int) -> tuple[int, logs.RetentionDays]:
    """The shortest retention CloudWatch allows keeping logs at least `days` (past ten years: forever)."""
    for allowed, retention in _RETENTION:
        if allowed >= days:
            return allowed, retention
    return 0, logs.RetentionDays.INFINITE


def function_code(capability: Capability) -> lambda_.Code:
    """`functions/` with only this capability's package: the handler module `<capability>.handler`."""
    others = [f"/{other.value}/" for other in Capability if other is not capability]
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR), exclude=[*others, "__pycache__/", "*.pyc"], ignore_mode=IgnoreMode.GIT
    )


def environment(territory: TerritoryConfig, tables: Tables, queues: Queues) -> dict[str, str]:
    env = function_environment(territory.environment_json(), tables.table_names, queues.queue_urls)
    env["POWERTOOLS_LOG_LEVEL"] = "INFO"
    size = sum(
        len(name)
        + next((size for prefix, size in _RESOLVED_TOKEN.items() if name.startswith(prefix)), len(value))
        for name, value in env.items()
    )
    if size > LAMBDA_ENVIRONMENT_LIMIT:
        raise ValueError(
            f"territory {territory.code}: the Lambda environment would be about {size} bytes, over Lambda's"
            f" {LAMBDA_ENVIRONMENT_LIMIT}-byte limit (the territory file is passed in ${TERRITORY_ENV})"
        )
    return env


class Compute(Construct):
    """Every function of the territory. Each has its own role (logs to its own log group, read/write on
    the tables and their indexes by name, X-Ray), its own log group with the territory's retention,
    active tracing, the common layer, and the environment of `function_environment`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        territory: TerritoryConfig,
        tables: Tables,
        queues: Queues,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self._tables = tables
        self._layer = layer
        self._environment = environment(territory, tables, queues)
        self.log_retention_days, self._retention = retention_days(territory.log_retention_days)
        self._code: dict[Capability, lambda_.Code] = {}
        # Every function of the stack by label (the capability, or the job name): what monitoring watches.
        self.all_functions: dict[str, lambda_.Function] = {}
        self.functions: dict[Capability, lambda_.Function] = {
            capability: self.add_function(self, pascal(capability.value), spec, label=capability.value)
            for capability, spec in FUNCTIONS.items()
        }

    @property
    def retention(self) -> logs.RetentionDays:
        """The territory's log retention, as CloudWatch Logs has it."""
        return self._retention

    def code(self, capability: Capability) -> lambda_.Code:
        if capability not in self._code:
            self._code[capability] = function_code(capability)
        return self._code[capability]

    def add_function(
        self,
        scope: Construct,
        construct_id: str,
        spec: FunctionSpec,
        *,
        label: str,
        entrypoint: str = API_ENTRYPOINT,
        description: str | None = None,
    ) -> lambda_.Function:
        """A function running `spec`'s module at `entrypoint`, with everything every function gets."""
        if label in self.all_functions:
            raise ValueError(f"two functions labelled {label!r}")
        log_group = logs.LogGroup(
            scope, f"{construct_id}Logs", retention=self._retention, removal_policy=RemovalPolicy.RETAIN
        )
        role = iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"SAS function {label}",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=self.code(spec.capability),
            handler=spec.handler(entrypoint),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            layers=[self._layer],
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment,
            log_group=log_group,
            role=role,
            description=(description or spec.description)[:256],
        )
        self._tables.grant_read_write(function)
        Validations.of(function).acknowledge(
            Ack(
                id="AwsSolutions-L1",
                reason="Pinned to python3.12: the common layer ships cp312 arm64 wheels; runtime and layer"
                " are upgraded together (infra/constructs/layer.py).",
            )
        )
        Validations.of(role).acknowledge(
            Ack(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support"
                " resource-level permissions.",
            )
        )
        self.all_functions[label] = function
        return function
