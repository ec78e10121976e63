"""The territory stack, synthesised offline (no credentials, no Docker, layer bundling skipped)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aws_cdk import App, BundlingOptions, CfnElement, DockerImage
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infra import REPO_ROOT
from infra.app import build_app, load, main
from infra.constructs.api import jwt_issuer, split_s3_uri
from infra.constructs.compute import environment, retention_days
from infra.constructs.directory import IMPORT_ENTRYPOINT, IMPORT_FUNCTION
from infra.constructs.layer import (
    BUNDLING_IMAGE,
    PYPROJECT,
    RUNTIME_PROVIDED,
    LocalLayerBundling,
    requirement_name,
    runtime_requirements,
)
from infra.stack import TerritoryStack
from sas_common.capabilities import BOOKING_STEPS, FUNCTIONS, STEPS_FUNCTIONS, Capability
from sas_common.directory.bucket import IMPORT_PREFIX, SUMMARY_PREFIX
from sas_common.ingest.report import BREAKER_OPEN
from sas_common.jobs import JOBS, POLL_EDITORS, Schedule, schedules
from sas_common.queues import EDITOR_POLLS, QUEUES, REGULATOR_SYNC, QueueDef
from sas_common.routes import ROUTES, Route
from sas_common.settings import METRICS_NAMESPACE, SERVICE_NAME, TERRITORY_ENV
from sas_common.tables import TABLES, TableDef
from sas_common.territory import CustomDomain, TerritoryConfig, TerritoryConfigError
from sas_local import booking_flow
from sas_local.aws import create_table_request

pytestmark = pytest.mark.cdk

# Functions besides one per capability and one per job: the directory import (infra/constructs/directory.py)
# and the consumer of each queue (infra/constructs/queues.py).
# And each state machine's steps function (infra/constructs/booking.py).
OTHER_FUNCTIONS = (
    "directory-import",
    "poll-worker",
    "regulator-sync-worker",
    *(steps.label for steps in STEPS_FUNCTIONS),
)

# No stack is bundled: the layer is not built (its bundling is tested on its own, below).
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


@dataclass
class Synth:
    territory: TerritoryConfig
    app: App
    stack: TerritoryStack
    template: Template
    outdir: Path

    def resources(self, kind: str) -> dict[str, Any]:
        return dict(self.template.find_resources(kind))

    def function_id(self, handler: str) -> str:
        [logical_id] = [
            logical_id
            for logical_id, resource in self.resources("AWS::Lambda::Function").items()
            if resource["Properties"]["Handler"] == handler
        ]
        return logical_id


def synthesise(territory: TerritoryConfig, outdir: Path) -> Synth:
    app, stack = build_app(territory, outdir=str(outdir), context=NO_BUNDLING)
    app.synth()  # runs cdk-nag and CloudFormation validation: an unacknowledged finding raises here
    return Synth(territory, app, stack, Template.from_stack(stack), outdir)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesise(load("demo"), tmp_path_factory.mktemp("cdk-demo"))


@pytest.fixture(scope="module")
def with_domain(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    territory = load("demo").model_copy(
        update={
            "code": "demo-mtls",
            "editors": [
                load("demo")
                .editors[0]
                .model_copy(update={"client_certificate_secret": "sas/editors/demo-editor"})
            ],
            "alarm_email": "ops@example.org",
            "log_retention_days": 100,
            "custom_domain": CustomDomain(
                domain_name="api.demo.sas.example.org",
                certificate_arn="arn:aws:acm:eu-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000",
                truststore_uri="s3://sas-truststores/demo/editors-ca.pem",
                truststore_version="v42",
            ),
        }
    )
    return synthesise(territory, tmp_path_factory.mktemp("cdk-mtls"))


# --- tables -----------------------------------------------------------------------------------------------


def _table(synth: Synth, definition: TableDef) -> dict[str, Any]:
    expected = create_table_request(definition, "unused")
    indexes = expected.get("GlobalSecondaryIndexes", [])
    matches = [
        resource
        for resource in synth.resources("AWS::DynamoDB::Table").values()
        if resource["Properties"]["KeySchema"] == expected["KeySchema"]
        and resource["Properties"].get("GlobalSecondaryIndexes", []) == indexes
    ]
    assert len(matches) == 1, f"table {definition.logical_name}: {len(matches)} matching tables"
    table: dict[str, Any] = matches[0]
    return table


def test_one_table_per_definition(demo: Synth) -> None:
    assert len(demo.resources("AWS::DynamoDB::Table")) == len(TABLES)


@pytest.mark.parametrize("definition", TABLES, ids=lambda definition: definition.logical_name)
def test_table_matches_its_definition(demo: Synth, definition: TableDef) -> None:
    # The local runtime's CreateTable request is the reference: same keys, indexes and projections.
    expected = create_table_request(definition, "unused")
    table = _table(demo, definition)
    properties = table["Properties"]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        expected["AttributeDefinitions"], key=str
    )
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"] == {"SSEEnabled": True}  # AWS-managed KMS key
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    if definition.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in properties


def test_expiry_index_is_keys_only(demo: Synth) -> None:
    slots = next(definition for definition in TABLES if definition.logical_name == "slots")
    indexes = {
        index["IndexName"]: index for index in _table(demo, slots)["Properties"]["GlobalSecondaryIndexes"]
    }
    assert indexes["by_expiry"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes["by_cell_day"]["Projection"] == {"ProjectionType": "ALL"}


# --- functions ----------------------------------------------------------------------------------------------


def test_one_function_per_spec_and_job(demo: Synth) -> None:
    assert len(demo.resources("AWS::Lambda::Function")) == len(FUNCTIONS) + len(JOBS) + len(OTHER_FUNCTIONS)
    assert set(demo.stack.compute.functions) == set(FUNCTIONS)
    assert set(demo.stack.schedules.functions) == set(JOBS)


@pytest.mark.parametrize("capability", list(FUNCTIONS), ids=str)
def test_function_of_each_capability(demo: Synth, capability: Any) -> None:
    spec = FUNCTIONS[capability]
    function = demo.resources("AWS::Lambda::Function")[demo.function_id(spec.handler())]
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.12"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == spec.memory_mb
    assert properties["Timeout"] == spec.timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}
    [layer_id] = demo.resources("AWS::Lambda::LayerVersion")
    assert properties["Layers"] == [{"Ref": layer_id}]
    assert "LogGroup" in properties["LoggingConfig"]
    variables = properties["Environment"]["Variables"]
    assert {table.env_var for table in TABLES} <= set(variables)
    assert TerritoryConfig.model_validate_json(variables[TERRITORY_ENV]) == demo.territory
    assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_function_code_holds_only_its_capability(demo: Synth) -> None:
    for capability, spec in FUNCTIONS.items():
        function = demo.resources("AWS::Lambda::Function")[demo.function_id(spec.handler())]
        asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        staged = demo.outdir / f"asset.{asset_hash}"
        assert sorted(path.name for path in staged.iterdir()) == [capability.value]
        assert (staged / capability.value / "handler.py").is_file()
        assert not list(staged.rglob("__pycache__"))
        assert not list(staged.rglob("*.pyc"))


def test_functions_read_and_write_every_table_and_index_by_name(demo: Synth) -> None:
    policies = demo.resources("AWS::IAM::Policy").values()
    text = json.dumps(list(policies))
    assert "/index/*" not in text
    for definition in TABLES:
        for index in definition.indexes:
            assert text.count(f"/index/{index.name}") == len(FUNCTIONS) + len(JOBS) + len(OTHER_FUNCTIONS)


def test_log_groups_have_the_territory_retention(demo: Synth, with_domain: Synth) -> None:
    demo_groups = demo.resources("AWS::Logs::LogGroup").values()
    # + the API's access logs and the booking state machine's
    assert len(demo_groups) == len(FUNCTIONS) + len(JOBS) + len(OTHER_FUNCTIONS) + 2
    assert {group["Properties"]["RetentionInDays"] for group in demo_groups} == {90}
    # 100 days is not a CloudWatch period: the next longer one is kept.
    domain_groups = with_domain.resources("AWS::Logs::LogGroup").values()
    assert {group["Properties"]["RetentionInDays"] for group in domain_groups} == {120}


def test_a_territory_too_large_for_the_lambda_environment_is_refused() -> None:
    demo = load("demo")

    def with_editors(count: int) -> TerritoryConfig:
        editors = [
            demo.editors[0].model_copy(
                update={"id": f"editor-{n}", "client_certificate_secret": f"sas/editors/editor-{n}"}
            )
            for n in range(count)
        ]
        return demo.model_copy(update={"editors": editors})

    large = with_editors(40)
    tables = SimpleNamespace(table_names={table.logical_name: "token" for table in TABLES})
    queues = SimpleNamespace(queue_urls={queue.logical_name: "token" for queue in QUEUES})
    # The access patterns' territory has 10 editors: it fits, with room to spare.
    assert environment(with_editors(12), tables, queues)[TERRITORY_ENV]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="4096-byte limit"):
        environment(large, tables, queues)  # type: ignore[arg-type]


def test_retention_rounds_up_to_an_allowed_period() -> None:
    assert retention_days(1)[0] == 1
    assert retention_days(2)[0] == 3
    assert retention_days(90)[0] == 90
    assert retention_days(91)[0] == 120
    assert retention_days(3653)[0] == 3653
    assert retention_days(5000)[0] == 0  # forever


# --- HTTP API ---------------------------------------------------------------------------------------------


def _integration_function(synth: Synth, route_resource: dict[str, Any]) -> str:
    integration_id = route_resource["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
    integration = synth.resources("AWS::ApiGatewayV2::Integration")[integration_id]
    function_id: str = integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
    return function_id


def test_one_route_per_entry(demo: Synth) -> None:
    routes = demo.resources("AWS::ApiGatewayV2::Route").values()
    assert sorted(resource["Properties"]["RouteKey"] for resource in routes) == sorted(
        route.key for route in ROUTES
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.key)
def test_route_authorisation_and_target(demo: Synth, route: Route) -> None:
    [resource] = [
        resource
        for resource in demo.resources("AWS::ApiGatewayV2::Route").values()
        if resource["Properties"]["RouteKey"] == route.key
    ]
    [authorizer_id] = demo.resources("AWS::ApiGatewayV2::Authorizer")
    if route.protected:
        assert resource["Properties"]["AuthorizationType"] == "JWT"
        assert resource["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}
    else:
        assert resource["Properties"]["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in resource["Properties"]
    assert _integration_function(demo, resource) == demo.function_id(FUNCTIONS[route.capability].handler())


def test_jwt_authorizer_trusts_pro_sante_connect(demo: Synth) -> None:
    demo.template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {
                "Issuer": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
                "Audience": demo.territory.pro_sante_connect.audience,
            },
        },
    )


def test_jwt_issuer_drops_only_the_slash_pydantic_adds() -> None:
    from pydantic import HttpUrl

    assert jwt_issuer(HttpUrl("https://idp.example")) == "https://idp.example"
    assert jwt_issuer(HttpUrl("https://idp.example/realms/x")) == "https://idp.example/realms/x"
    assert jwt_issuer(HttpUrl("https://idp.example/realms/x/")) == "https://idp.example/realms/x/"


def test_default_stage_logs_and_throttles(demo: Synth) -> None:
    [stage] = demo.resources("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}
    log_format = json.loads(properties["AccessLogSettings"]["Format"])
    assert {"requestId", "routeKey", "status", "ip"} <= set(log_format)
    assert "Fn::GetAtt" in properties["AccessLogSettings"]["DestinationArn"]
    demo.template.has_output("ApiUrl", {})


def test_no_custom_domain_without_configuration(demo: Synth) -> None:
    demo.template.resource_count_is("AWS::ApiGatewayV2::DomainName", 0)


def test_custom_domain_with_mutual_tls(with_domain: Synth) -> None:
    with_domain.template.has_resource_properties(
        "AWS::ApiGatewayV2::DomainName",
        {
            "DomainName": "api.demo.sas.example.org",
            "DomainNameConfigurations": [
                Match.object_like(
                    {
                        "CertificateArn": with_domain.territory.custom_domain.certificate_arn,  # type: ignore[union-attr]
                        "EndpointType": "REGIONAL",
                        "SecurityPolicy": "TLS_1_2",
                    }
                )
            ],
            "MutualTlsAuthentication": {
                "TruststoreUri": "s3://sas-truststores/demo/editors-ca.pem",
                "TruststoreVersion": "v42",
            },
        },
    )
    with_domain.template.resource_count_is("AWS::ApiGatewayV2::ApiMapping", 1)
    with_domain.template.has_output("CustomDomainTarget", {})


def test_truststore_uri_needs_a_key() -> None:
    assert split_s3_uri("s3://bucket/a/b.pem") == ("bucket", "a/b.pem")
    with pytest.raises(ValueError, match="s3://<bucket>/<key>"):
        split_s3_uri("s3://bucket")


# --- schedules ----------------------------------------------------------------------------------------------


def logical_id(synth: Synth, construct: Construct) -> str:
    element = construct.node.default_child
    assert isinstance(element, CfnElement)
    return str(synth.stack.resolve(synth.stack.get_logical_id(element)))


def _rate(every_minutes: int) -> str:
    return f"rate({every_minutes} minute{'s' if every_minutes != 1 else ''})"


DEMO_SCHEDULES = schedules(load("demo"))


@pytest.mark.parametrize("schedule", DEMO_SCHEDULES, ids=lambda schedule: schedule.label)
def test_one_rule_per_schedule_targeting_its_job(demo: Synth, schedule: Schedule) -> None:
    rule = demo.stack.schedules.rules[schedule.label]
    properties = demo.resources("AWS::Events::Rule")[logical_id(demo, rule)]["Properties"]
    assert properties["ScheduleExpression"] == _rate(schedule.every_minutes)
    [target] = properties["Targets"]
    handler = FUNCTIONS[schedule.job.capability].handler(schedule.job.entrypoint)
    assert target["Arn"] == {"Fn::GetAtt": [demo.function_id(handler), "Arn"]}
    assert 0 <= target["RetryPolicy"]["MaximumRetryAttempts"] <= 2
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] >= 60
    # A per-editor schedule names its editor; the others send the plain scheduled event.
    assert json.loads(target["Input"]) == schedule.event if schedule.event else "Input" not in target


def test_one_rule_per_schedule_and_one_poll_schedule_per_editor(demo: Synth) -> None:
    rules = [
        rule
        for rule in demo.resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    ]
    assert len(rules) == len(DEMO_SCHEDULES) == len(JOBS) - 1 + len(demo.territory.editors)
    polls = [schedule for schedule in DEMO_SCHEDULES if schedule.job is POLL_EDITORS]
    assert [(s.event["editor_id"], s.every_minutes) for s in polls] == [
        (editor.id, editor.poll_every_minutes) for editor in demo.territory.editors
    ]


# --- queues -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("queue", QUEUES, ids=lambda queue: queue.logical_name)
def test_queue_with_dead_letters_from_its_definition(demo: Synth, queue: QueueDef) -> None:
    main = demo.resources("AWS::SQS::Queue")[logical_id(demo, demo.stack.queues.queues[queue.logical_name])][
        "Properties"
    ]
    dead_id = logical_id(demo, demo.stack.queues.dead_letters[queue.logical_name])
    assert main["VisibilityTimeout"] == queue.visibility_timeout_seconds
    assert queue.visibility_timeout_seconds >= 6 * FUNCTIONS[queue.consumer].timeout_seconds
    assert main["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]},
        "maxReceiveCount": queue.max_receive_count,
    }
    assert main["SqsManagedSseEnabled"] is True
    # The consumer reports partial failures, one message per invocation, bounded concurrency.
    handler = FUNCTIONS[queue.consumer].handler(queue.consumer_entrypoint)
    [mapping] = [
        m["Properties"]
        for m in demo.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": demo.function_id(handler)}
    ]
    assert mapping["EventSourceArn"] == {
        "Fn::GetAtt": [
            logical_id(demo, demo.stack.queues.queues[queue.logical_name]),
            "Arn",
        ]
    }
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == queue.batch_size
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": queue.max_concurrency}
    # Every queue is TLS-only, its dead letters watched by an alarm.
    demo.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_id, "QueueName"]}}],
        },
    )


def role_of(synth: Synth, handler: str) -> str:
    function = synth.resources("AWS::Lambda::Function")[synth.function_id(handler)]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def test_each_queue_is_sent_to_by_its_producer_only(demo: Synth) -> None:
    """The poll dispatcher fills the poll queue; the booking API the regulator sync queue (INT_R02)."""
    queue_ids = {logical_id(demo, queue): name for name, queue in demo.stack.queues.queues.items()}
    sending = sorted(
        (queue_ids[statement["Resource"]["Fn::GetAtt"][0]], role["Ref"])
        for policy in demo.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in json.dumps(statement["Action"])
        for role in policy["Properties"]["Roles"]
    )
    dispatcher = role_of(demo, FUNCTIONS[POLL_EDITORS.capability].handler(POLL_EDITORS.entrypoint))
    assert sending == [
        (EDITOR_POLLS.logical_name, dispatcher),
        (REGULATOR_SYNC.logical_name, role_of(demo, FUNCTIONS[Capability.BOOKING].handler())),
    ]


def test_only_the_functions_calling_editors_read_their_client_certificates(
    demo: Synth, with_domain: Synth
) -> None:
    def readers(synth: Synth) -> list[str]:
        return [
            role["Ref"]
            for policy in synth.resources("AWS::IAM::Policy").values()
            if "secretsmanager:GetSecretValue" in json.dumps(policy["Properties"]["PolicyDocument"])
            for role in policy["Properties"]["Roles"]
        ]

    assert readers(demo) == []  # no editor of the demo territory has a certificate
    callers = [
        FUNCTIONS[EDITOR_POLLS.consumer].handler(EDITOR_POLLS.consumer_entrypoint),  # polls
        FUNCTIONS[REGULATOR_SYNC.consumer].handler(REGULATOR_SYNC.consumer_entrypoint),  # sends accounts
        FUNCTIONS[Capability.BOOKING].handler(),  # sends a removal at once
    ]
    assert sorted(readers(with_domain)) == sorted(role_of(with_domain, handler) for handler in callers)
    assert ":secret:sas/editors/demo-editor-??????" in json.dumps(with_domain.resources("AWS::IAM::Policy"))


def test_every_function_knows_the_queue_urls(demo: Synth) -> None:
    for function in demo.resources("AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert {queue.env_var for queue in QUEUES} <= set(variables)


# --- monitoring ---------------------------------------------------------------------------------------------


def test_an_error_alarm_per_function(demo: Synth) -> None:
    [topic_id] = demo.resources("AWS::SNS::Topic")
    alarms = demo.resources("AWS::CloudWatch::Alarm").values()
    watched = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in alarms
        if alarm["Properties"].get("MetricName") == "Errors"
    }
    assert watched == set(demo.resources("AWS::Lambda::Function"))
    for alarm in alarms:
        properties = alarm["Properties"]
        assert properties["Threshold"] == 1
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["Period"] == 300
        assert properties["AlarmActions"] == [{"Ref": topic_id}]


def test_an_alarm_per_editor_on_its_open_breaker(demo: Synth) -> None:
    for editor in demo.territory.editors:
        demo.template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": METRICS_NAMESPACE,
                "MetricName": BREAKER_OPEN,
                "Dimensions": Match.array_equals(
                    [{"Name": "editor", "Value": editor.id}, {"Name": "service", "Value": SERVICE_NAME}]
                ),
                "Statistic": "Maximum",
                "Threshold": 1,
            },
        )


def test_an_alarm_on_api_server_errors(demo: Synth) -> None:
    demo.template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "5xx", "Namespace": "AWS/ApiGateway", "Threshold": 1}
    )


def test_alarm_topic_is_encrypted_and_ssl_only(demo: Synth, with_domain: Synth) -> None:
    [topic] = demo.resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    demo.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )
    demo.template.resource_count_is("AWS::SNS::Subscription", 0)
    with_domain.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.org"}
    )


# --- directory import ---------------------------------------------------------------------------------------


def test_the_directory_import_bucket_triggers_its_function(demo: Synth) -> None:
    [(bucket_id, bucket)] = demo.resources("AWS::S3::Bucket").items()
    properties = bucket["Properties"]
    assert properties["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert properties["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert "BucketEncryption" in properties
    assert {rule["Prefix"] for rule in properties["LifecycleConfiguration"]["Rules"]} == {
        IMPORT_PREFIX,
        SUMMARY_PREFIX,
    }
    assert demo.stack.compute.all_functions.keys() >= set(OTHER_FUNCTIONS)
    handler = IMPORT_FUNCTION.handler(IMPORT_ENTRYPOINT)
    function_id = demo.function_id(handler)
    function = demo.resources("AWS::Lambda::Function")[function_id]["Properties"]
    assert (function["Timeout"], function["MemorySize"]) == (900, 1024)
    assert function["Environment"]["Variables"]["SAS_GEOCODER"] == "ban"
    [rule] = [
        r["Properties"]
        for r in demo.resources("AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]
    assert rule["EventPattern"]["detail"] == {
        "bucket": {"name": [{"Ref": bucket_id}]},
        "object": {"key": [{"prefix": IMPORT_PREFIX}]},
    }
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    statements = json.dumps(
        [p["Properties"]["PolicyDocument"] for p in demo.resources("AWS::IAM::Policy").values()]
    )
    assert '"s3:GetObject"' in statements
    assert '"s3:PutObject"' in statements
    assert "s3:GetObject*" not in statements


def test_the_functions_that_geocode_ask_the_ban_and_only_they(demo: Synth) -> None:
    geocoding = {
        demo.function_id(handler)
        for handler in (
            FUNCTIONS[Capability.AGENDA].handler(),  # directory imports over HTTP
            FUNCTIONS[Capability.INGEST].handler(),  # pushed slots at places unknown to the directory
            FUNCTIONS[EDITOR_POLLS.consumer].handler(EDITOR_POLLS.consumer_entrypoint),  # polled ones
            IMPORT_FUNCTION.handler(IMPORT_ENTRYPOINT),  # directory imports from S3
        )
    }
    for function_id, function in demo.resources("AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables.get("SAS_GEOCODER") == ("ban" if function_id in geocoding else None), function_id


# --- stack, app, cdk-nag ----------------------------------------------------------------------------------


def test_stack_name_and_tags(demo: Synth) -> None:
    assert demo.stack.stack_name == "Sas-demo"
    assert demo.stack.tags.tag_values()["territory"] == "demo"
    [table, *_] = demo.resources("AWS::DynamoDB::Table").values()
    assert {"Key": "territory", "Value": "demo"} in table["Properties"]["Tags"]


@pytest.mark.parametrize("variant", ["demo", "with_domain"])
def test_no_unacknowledged_cdk_nag_finding(variant: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(variant)
    report = AwsSolutionsChecks(verbose=True).validate_scope(synth.stack)
    findings = [
        (violation.rule_name, [resource.construct_path for resource in violation.violating_resources])
        for violation in report.violations
    ]
    assert findings == []
    annotations = Annotations.from_stack(synth.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    # Nor any other CDK warning (deprecated API, ignored property...).
    assert annotations.find_warning("*", Match.any_value()) == []


def _run_app(*args: str, context: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "infra.app", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_app_rejects_an_unknown_territory(tmp_path: Path) -> None:
    result = _run_app("--territory", "no-such-territory", "--outdir", str(tmp_path))
    assert result.returncode == 2
    assert "infra/territories/no-such-territory.json" in result.stderr


def test_app_asks_for_a_territory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    assert main(["--outdir", str(tmp_path)]) == 2
    stderr = capsys.readouterr().err
    assert "--territory <code>" in stderr
    assert "-c territory=<code>" in stderr


def test_app_reads_the_territory_from_cdk_context(tmp_path: Path) -> None:
    # What `cdk synth -c territory=<code>` hands the app (in its own process: the JSII kernel of this one
    # was started with this process's environment).
    result = _run_app("--outdir", str(tmp_path), context={"territory": "no-such-territory"})
    assert result.returncode == 2
    assert "infra/territories/no-such-territory.json" in result.stderr


def test_app_rejects_a_file_whose_code_differs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(
        (REPO_ROOT / "infra" / "territories" / "demo.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr("infra.app.territory_path", lambda code: tmp_path / f"{code}.json")
    with pytest.raises(TerritoryConfigError, match="key 'code' is 'demo'"):
        load("other")


def test_cdk_json_runs_the_app() -> None:
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))
    assert cdk_json["app"] == "uv run python -m infra.app"


# --- common layer -----------------------------------------------------------------------------------------


def test_layer_requirements_are_the_runtime_dependencies_but_the_sdk() -> None:
    import tomllib

    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    requirements = runtime_requirements()
    assert "boto3" not in {requirement_name(requirement) for requirement in requirements}
    assert requirements == [
        requirement for requirement in declared if requirement_name(requirement) != "boto3"
    ]


def test_layer_local_bundling_installs_wheels_and_copies_sas_common(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    excluded: list[str] = []

    def fake_uv(command: Any) -> None:
        command = list(command)
        calls.append(command)
        excluded.extend(Path(command[command.index("--excludes") + 1]).read_text(encoding="utf-8").split())
        target = Path(command[command.index("--target") + 1])
        (target / "pydantic").mkdir(parents=True)
        (target / "pydantic" / "__init__.py").write_text("", encoding="utf-8")
        (target / "bin").mkdir()
        (target / "bin" / "httpx").write_text("#!/bin/sh", encoding="utf-8")
        (target / "pydantic" / "__pycache__").mkdir()

    bundling = LocalLayerBundling(requirements=["pydantic>=2.10", "h3>=4.1"], runner=fake_uv, uv="uv")
    options = BundlingOptions(image=DockerImage.from_registry(BUNDLING_IMAGE), local=bundling)  # type: ignore[arg-type]
    assert bundling.try_bundle(str(tmp_path), options) is True

    target = tmp_path / "python"
    assert calls == [
        [
            "uv",
            "pip",
            "install",
            "--target",
            str(target),
            "--python-platform",
            "aarch64-manylinux2014",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            "--excludes",
            calls[0][calls[0].index("--excludes") + 1],
            "pydantic>=2.10",
            "h3>=4.1",
        ]
    ]
    assert excluded == list(RUNTIME_PROVIDED)
    assert (target / "pydantic" / "__init__.py").is_file()
    assert not (target / "bin").exists()
    copied = target / "sas_common"
    assert (copied / "tables.py").is_file()
    assert (copied / "territory.py").is_file()
    assert not list(target.rglob("__pycache__"))
    assert not list(target.rglob("*.pyc"))


# --- the booking flow ---------------------------------------------------------------------------------------


def test_the_local_booking_state_machine_is_the_synthesised_one(demo: Synth) -> None:
    """`make run` and the tests run local/sas_local/booking_flow.asl.json: it must be what deploys
    (`make state-machines` rewrites it)."""
    assert booking_flow.definition_from(demo.template.to_json()) == booking_flow.definition()


def _policy_actions(synth: Synth, role_id: str) -> set[str]:
    actions: set[str] = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found = statement["Action"]
            actions.update([found] if isinstance(found, str) else found)
    return actions


def test_only_the_api_seals_and_only_the_steps_open_a_patients_contact(demo: Synth) -> None:
    functions = demo.resources("AWS::Lambda::Function")
    api = functions[demo.function_id(FUNCTIONS[Capability.BOOKING].handler())]
    steps = functions[demo.function_id(BOOKING_STEPS.spec.handler(BOOKING_STEPS.entrypoint))]
    api_actions = _policy_actions(demo, api["Properties"]["Role"]["Fn::GetAtt"][0])
    steps_actions = _policy_actions(demo, steps["Properties"]["Role"]["Fn::GetAtt"][0])
    assert {a for a in api_actions if a.startswith("kms:")} == {"kms:Encrypt"}
    assert {a for a in steps_actions if a.startswith("kms:")} == {"kms:Decrypt"}
    assert {"states:StartExecution", "states:SendTaskSuccess"} <= api_actions
    assert "states:SendTaskSuccess" in steps_actions
    for name, function in functions.items():
        if function not in (api, steps):
            role = function["Properties"]["Role"]["Fn::GetAtt"][0]
            assert not {a for a in _policy_actions(demo, role) if a.startswith(("kms:", "states:"))}, name


def test_the_booking_state_machine_logs_no_execution_data(demo: Synth) -> None:
    [machine] = demo.resources("AWS::StepFunctions::StateMachine").values()
    properties = machine["Properties"]
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert properties["TracingConfiguration"] == {"Enabled": True}
