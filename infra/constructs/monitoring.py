"""Alarms of a territory: errors of every function, server errors of the API, messages in a dead-letter
queue and each editor's open circuit breaker, sent to an SNS topic."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs import pascal
from sas_common.ingest.report import BREAKER_OPEN
from sas_common.settings import METRICS_NAMESPACE, SERVICE_NAME
from sas_common.territory import TerritoryConfig

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    """An alarm per function (Errors ≥ 1 over 5 minutes) and on the API's 5xx, all notifying `topic`.

    The topic is encrypted with a customer-managed key: CloudWatch alarms cannot publish to a topic
    encrypted with the AWS-managed `alias/aws/sns` key, whose policy cannot grant CloudWatch."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        territory: TerritoryConfig,
        functions: Mapping[str, lambda_.IFunction],
        http_api: apigwv2.HttpApi,
        dead_letter_queues: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            description=f"SAS {territory.code}: encrypts the alarm topic",
        )
        # CloudWatch encrypts what its alarms publish to the topic.
        self.key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"SAS {territory.code} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if territory.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(territory.alarm_email))
        action = cloudwatch_actions.SnsAction(self.topic)

        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for label, function in functions.items():
            self.alarms[label] = self._alarm(
                f"{pascal(label)}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                f"SAS {territory.code}: function {label} failed at least once in 5 minutes",
                action,
            )
        self.api_alarm = self._alarm(
            "Api5xx",
            http_api.metric_server_error(period=PERIOD, statistic="Sum"),
            f"SAS {territory.code}: the HTTP API answered 5xx at least once in 5 minutes",
            action,
        )
        for editor in territory.editors:
            self.alarms[f"editor-{editor.id}"] = self._alarm(
                f"{pascal(editor.id)}BreakerOpen",
                cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name=BREAKER_OPEN,
                    dimensions_map={"service": SERVICE_NAME, "editor": editor.id},
                    period=PERIOD,
                    statistic="Maximum",
                ),
                f"SAS {territory.code}: editor {editor.id} is failing, its circuit breaker is open",
                action,
            )
        for name, queue in dead_letter_queues.items():
            self.alarms[f"dlq-{name}"] = self._alarm(
                f"{pascal(name)}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                f"SAS {territory.code}: messages of {name} failed every retry, now in its dead-letter queue",
                action,
            )

    def _alarm(
        self, construct_id: str, metric: cloudwatch.Metric, description: str, action: cloudwatch.IAlarmAction
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        return alarm
