"""The booking flow: its state machine (the one definition: the stack deploys it, the local runtime runs
the same synthesised ASL on moto), the function that runs its steps, and the key that seals patients'
contact details.

    flow = editor ─► CallEditor ─(retry EditorBusy ×2, backoff)─► booked? ─► Booked ─► done
                        │ any other error                           └─ no ─► Refused ─► done
                        └───────────────────────────────► Unreachable (hold given back) ─► done
    flow = phone_callback ─► AwaitRegulator (task token, times out after the territory's minutes)
                        ├─ confirmed ─► Confirmed ─► done        ├─ cancelled ─► Cancelled ─► done
                        └─ timeout or error ─► Expired (hold given back) ─► done

Every branch ends with the booking settled (`sas_common.booking.service.settle`): none stays pending.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment as Ack
from aws_cdk import Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.constructs.compute import Compute
from sas_common.capabilities import BOOKING_STEPS, Capability
from sas_common.settings import BOOKING_STATE_MACHINE_ENV, PATIENT_CONTACT_KEY_ENV

# An editor that is busy or down is asked again twice, 1 s then 2 s later: the regulator is on the phone
# with the patient, and a failed booking gives the slot back at once so another can be chosen.
EDITOR_RETRIES = 2
EDITOR_RETRY_SECONDS = 1
# Settling is a few DynamoDB writes: retried on any error before the execution fails loudly (an alarm).
SETTLE_RETRIES = 5


def _step(
    scope: Construct, name: str, function: lambda_.IFunction, payload: dict[str, Any], **options: Any
) -> tasks.LambdaInvoke:
    return tasks.LambdaInvoke(
        scope,
        name,
        lambda_function=function,
        payload=sfn.TaskInput.from_object(payload),
        # The function's own answer, not Lambda's envelope; a task-token wait answers with SendTaskSuccess.
        payload_response_only="integration_pattern" not in options,
        retry_on_service_exceptions=True,
        **options,
    )


def _settle(
    scope: Construct, name: str, function: lambda_.IFunction, status: str, **extra: Any
) -> tasks.LambdaInvoke:
    step = _step(
        scope,
        name,
        function,
        {"step": "settle", "booking_id.$": "$.booking_id", "status": status, **extra},
        result_path=sfn.JsonPath.DISCARD,
    )
    step.add_retry(
        errors=["States.ALL"], interval=Duration.seconds(1), max_attempts=SETTLE_RETRIES, backoff_rate=2
    )
    return step


def booking_definition(scope: Construct, steps: lambda_.IFunction) -> sfn.IChainable:
    done = sfn.Succeed(scope, "Done")
    call_editor = _step(
        scope,
        "CallEditor",
        steps,
        {"step": "call_editor", "booking_id.$": "$.booking_id", "contact.$": "$.contact"},
        result_path="$.editor",
    )
    call_editor.add_retry(
        errors=["EditorBusy"],
        interval=Duration.seconds(EDITOR_RETRY_SECONDS),
        max_attempts=EDITOR_RETRIES,
        backoff_rate=2,
    )
    unreachable = _settle(
        scope, "Unreachable", steps, "failed", reason="the editor could not be reached"
    ).next(done)
    call_editor.add_catch(unreachable, errors=["States.ALL"], result_path="$.error")
    booked = _settle(scope, "Booked", steps, "confirmed", **{"record.$": "$.editor.record"}).next(done)
    refused = _settle(
        scope,
        "Refused",
        steps,
        "failed",
        **{"reason.$": "$.editor.reason", "slot_gone.$": "$.editor.slot_gone"},
    ).next(done)
    editor_answer = (
        sfn.Choice(scope, "EditorAnswer")
        .when(sfn.Condition.boolean_equals("$.editor.booked", True), booked)
        .otherwise(refused)
    )

    await_regulator = _step(
        scope,
        "AwaitRegulator",
        steps,
        {"step": "await", "booking_id.$": "$.booking_id", "token": sfn.JsonPath.task_token},
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        task_timeout=sfn.Timeout.at("$.confirm_within_seconds"),
        result_path="$.decision",
    )
    expired = _settle(scope, "Expired", steps, "expired", reason="no confirmation in time").next(done)
    await_regulator.add_catch(expired, errors=["States.ALL"], result_path="$.error")
    confirmed = _settle(scope, "Confirmed", steps, "confirmed").next(done)
    cancelled = _settle(scope, "Cancelled", steps, "cancelled", reason="cancelled by the regulator").next(
        done
    )
    decision = (
        sfn.Choice(scope, "Decision")
        .when(sfn.Condition.string_equals("$.decision.decision", "confirmed"), confirmed)
        .otherwise(cancelled)
    )

    return (
        sfn.Choice(scope, "Flow")
        .when(sfn.Condition.string_equals("$.flow", "editor"), call_editor.next(editor_answer))
        .otherwise(await_regulator.next(decision))
    )


class BookingFlow(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, compute: Compute, log_retention: logs.RetentionDays
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "PatientContactKey",
            description="Seals patients' contact details between the booking API and the editor's call",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # nothing sealed outlives a booking's execution
        )
        self.steps = compute.add_function(
            self,
            "Steps",
            BOOKING_STEPS.spec,
            label=BOOKING_STEPS.label,
            entrypoint=BOOKING_STEPS.entrypoint,
            description="the booking flow's steps (state machine tasks)",
        )
        self.steps.add_environment(PATIENT_CONTACT_KEY_ENV, self.key.key_arn)
        self.key.grant(self.steps, "kms:Decrypt")  # only the editor's call opens a contact
        log_group = logs.LogGroup(
            self, "StateMachineLogs", retention=log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(booking_definition(self, self.steps)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            # Every event, never its data: inputs and outputs stay out of the logs.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        api = compute.functions[Capability.BOOKING]
        api.add_environment(BOOKING_STATE_MACHINE_ENV, self.state_machine.state_machine_arn)
        api.add_environment(PATIENT_CONTACT_KEY_ENV, self.key.key_arn)
        self.key.grant(api, "kms:Encrypt")  # the booking API seals, never opens
        self.state_machine.grant_start_execution(api)
        self.state_machine.grant_task_response(api)
        # A decision made before the wait began: the steps function answers the wait itself. A policy of
        # its own (not the role's default one, which the function depends on, as the state machine does on
        # the function).
        steps_role = self.steps.role
        assert steps_role is not None
        iam.Policy(
            self,
            "StepsAnswerWait",
            roles=[steps_role],
            statements=[
                iam.PolicyStatement(
                    actions=["states:SendTaskSuccess"], resources=[self.state_machine.state_machine_arn]
                )
            ],
        )
        self._acknowledge()

    def _acknowledge(self) -> None:
        role = self.state_machine.role
        steps = Stack.of(self).resolve(Stack.of(self).get_logical_id(self.steps.node.default_child))  # type: ignore[arg-type]
        Validations.of(role).acknowledge(
            Ack(
                id=f"AwsSolutions-IAM5[Resource::<{steps}.Arn>:*]",
                reason="lambda:InvokeFunction on the steps function's versions and aliases (what a Lambda "
                "task may name), that function only.",
            )
        )
        Validations.of(role).acknowledge(
            Ack(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray tracing and CloudWatch Logs delivery: xray:PutTraceSegments and the "
                "logs:*LogDelivery actions do not support resource-level permissions.",
            )
        )
