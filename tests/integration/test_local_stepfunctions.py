"""A CDK-synthesised state machine runs locally on moto's ASL interpreter, its Lambda task in-process.

The stack is synthesised once per module; each test gets a fresh state machine (and, unless the session's
local platform already runs moto, a fresh moto). Guard tests at the end fail when moto changes under
`sas_local.moto_adaptations`.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aws_cdk as cdk
import boto3
import moto
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template
from moto import mock_aws
from moto.awslambda.utils import get_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

from sas_local import moto_adaptations
from sas_local.aws import FAKE_CREDENTIALS, MOTO_CONFIG
from sas_local.lambdas import ACCOUNT_ID, REGION, REGISTRY, LambdaContext, function_arn
from sas_local.stepfunctions import (
    UnresolvedReference,
    create_state_machine,
    provision,
    resolve_definition,
)

pytestmark = pytest.mark.cdk

T = TypeVar("T")
WAIT_SECONDS = 10.0


# --- the stack ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Synthesised:
    template: dict[str, Any]
    function_id: str
    queue_id: str


@pytest.fixture(scope="module")
def synthesised() -> Synthesised:
    """Decide (Lambda) → Route (Choice): "approval" → AskApproval (SQS, waits for a token), else AutoOk."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "LocalStepFunctionsTest")
    function = lambda_.Function(
        stack,
        "Decide",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    raise NotImplementedError\n"),
    )
    queue = sqs.Queue(stack, "Approvals")
    decide = tasks.LambdaInvoke(
        stack, "DecideTask", lambda_function=function, payload_response_only=True, result_path="$.decision"
    )
    ask = tasks.SqsSendMessage(
        stack,
        "AskApproval",
        queue=queue,
        integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        message_body=sfn.TaskInput.from_object(
            {"token": sfn.JsonPath.task_token, "request": sfn.JsonPath.string_at("$.request")}
        ),
        result_path="$.approval",
    )
    route = (
        sfn.Choice(stack, "Route")
        .when(sfn.Condition.string_equals("$.decision.route", "approval"), ask)
        .otherwise(sfn.Succeed(stack, "AutoOk"))
    )
    sfn.StateMachine(stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(decide.next(route)))
    template = dict(Template.from_stack(stack).to_json())
    return Synthesised(
        template,
        function_id=stack.get_logical_id(function.node.default_child),  # type: ignore[arg-type]
        queue_id=stack.get_logical_id(queue.node.default_child),  # type: ignore[arg-type]
    )


class RuleMissing(Exception):
    """Raised by the test handler: its class name is the error name the state machine sees."""


@dataclass
class Decide:
    """The Lambda task's in-process handler: amounts over 100 need an approval."""

    calls: list[tuple[Any, str]] = field(default_factory=list)

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        self.calls.append((event, context.function_name))
        if "amount" not in event:
            raise RuleMissing(f"no rule for request {event['request']}")
        return {"route": "approval" if event["amount"] > 100 else "auto", "amount": event["amount"]}


# --- moto ---------------------------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config=MOTO_CONFIG):
        yield


@dataclass
class Flow:
    arn: str
    queue_url: str
    function_name: str
    decide: Decide
    sfn: Any = field(default_factory=lambda: boto3.client("stepfunctions", region_name=REGION))
    sqs: Any = field(default_factory=lambda: boto3.client("sqs", region_name=REGION))

    def start(self, payload: dict[str, Any]) -> str:
        arn: str = self.sfn.start_execution(stateMachineArn=self.arn, input=json.dumps(payload))[
            "executionArn"
        ]
        return arn

    def finished(self, execution_arn: str) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution_arn)
            return described if described["status"] != "RUNNING" else None

        return wait_for(done)

    def approval_request(self, request: str) -> dict[str, Any]:
        """The AskApproval message for `request` (removed from the queue)."""

        def receive() -> dict[str, Any] | None:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            for message in messages.get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                body: dict[str, Any] = json.loads(message["Body"])
                if body.get("request") == request:
                    return body
            return None

        return wait_for(receive)


@pytest.fixture
def flow(aws: None, synthesised: Synthesised) -> Flow:
    decide = Decide()
    resources = provision(synthesised.template, {synthesised.function_id: decide})
    definition = resolve_definition(synthesised.template, resources)
    arn = create_state_machine(f"flow-{uuid.uuid4().hex[:12]}", definition)
    return Flow(
        arn, resources[synthesised.queue_id]["Ref"], resources[synthesised.function_id]["Ref"], decide
    )


def wait_for(probe: Callable[[], T | None], timeout: float = WAIT_SECONDS) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout}s")
        time.sleep(0.01)


# --- the state machine --------------------------------------------------------------------------------------


def test_resolved_definition_is_the_synthesised_one_with_local_values(synthesised: Synthesised) -> None:
    resources = {
        synthesised.function_id: {"Ref": "decide", "Arn": function_arn("decide")},
        synthesised.queue_id: {"Ref": "https://queue.local/approvals", "Arn": "arn:aws:sqs:::approvals"},
    }

    states = json.loads(resolve_definition(synthesised.template, resources))["States"]

    assert states["DecideTask"]["Resource"] == function_arn("decide")
    assert states["AskApproval"]["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert states["AskApproval"]["Parameters"]["QueueUrl"] == "https://queue.local/approvals"


def test_an_unresolvable_reference_names_its_logical_id(synthesised: Synthesised) -> None:
    resources = {synthesised.function_id: {"Ref": "decide", "Arn": function_arn("decide")}}

    with pytest.raises(UnresolvedReference, match=synthesised.queue_id):
        resolve_definition(synthesised.template, resources)


def test_approval_branch_waits_for_the_task_token(flow: Flow) -> None:
    execution = flow.start({"request": "r-1", "amount": 250})

    message = flow.approval_request("r-1")
    assert flow.decide.calls == [({"request": "r-1", "amount": 250}, flow.function_name)]
    assert flow.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    flow.sfn.send_task_success(taskToken=message["token"], output=json.dumps({"approved": True}))

    finished = flow.finished(execution)
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"]) == {
        "request": "r-1",
        "amount": 250,
        "decision": {"route": "approval", "amount": 250},
        "approval": {"approved": True},
    }


def test_the_same_state_machine_runs_again_down_the_other_branch(flow: Flow) -> None:
    first = flow.start({"request": "r-2", "amount": 500})
    flow.sfn.send_task_success(taskToken=flow.approval_request("r-2")["token"], output="{}")
    assert flow.finished(first)["status"] == "SUCCEEDED"

    second = flow.start({"request": "r-3", "amount": 20})

    finished = flow.finished(second)
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["decision"] == {"route": "auto", "amount": 20}
    assert [event for event, _ in flow.decide.calls] == [
        {"request": "r-2", "amount": 500},
        {"request": "r-3", "amount": 20},
    ]


def test_a_handler_exception_fails_the_execution_with_its_class_name(flow: Flow) -> None:
    execution = flow.start({"request": "r-4"})

    finished = flow.finished(execution)
    assert finished["status"] == "FAILED"
    assert finished["error"] == "RuleMissing"
    cause = json.loads(finished["cause"])
    assert cause["errorType"] == "RuleMissing"
    assert cause["errorMessage"] == "no rule for request r-4"


# --- guards: moto as the adaptations expect it --------------------------------------------------------------


def test_moto_is_the_version_the_adaptations_were_checked_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert moto.__version__ == moto_adaptations.MOTO_CHECKED, "recheck sas_local.moto_adaptations"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert moto_adaptations.check_moto_version()
    monkeypatch.setattr(moto, "__version__", "0.0.0")
    with pytest.warns(RuntimeWarning, match="checked on moto"):
        assert not moto_adaptations.check_moto_version()


def test_lambda_invoke_is_served_by_the_patched_simple_backend(aws: None) -> None:
    moto_adaptations.install()
    moto_adaptations.install()  # idempotent

    assert moto_adaptations.installed()
    assert isinstance(get_backend(ACCOUNT_ID, REGION), LambdaSimpleBackend)
    assert LambdaSimpleBackend.invoke is moto_adaptations._invoke
    original = inspect.signature(moto_adaptations.original_invoke())
    assert tuple(original.parameters) == moto_adaptations.INVOKE_PARAMETERS


def test_registered_functions_run_in_process_others_get_moto_behaviour(aws: None) -> None:
    moto_adaptations.install()
    REGISTRY.register("guard-echo", lambda event, context: {"got": event, "name": context.function_name})
    REGISTRY.register("guard-fail", lambda event, context: 1 / 0)
    client = boto3.client("lambda", region_name=REGION)

    ok = client.invoke(FunctionName=function_arn("guard-echo") + ":$LATEST", Payload=b'{"a": 1}')
    assert "FunctionError" not in ok
    assert json.load(ok["Payload"]) == {"got": {"a": 1}, "name": "guard-echo"}

    failed = client.invoke(FunctionName="guard-fail", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    assert json.load(failed["Payload"])["errorType"] == "ZeroDivisionError"

    other = client.invoke(FunctionName="not-registered-anywhere", Payload=b'{"b": 2}')
    assert "FunctionError" not in other
    assert json.load(other["Payload"]) == {"b": 2}  # moto's simple backend echoes the payload


def test_a_nameless_execution_gets_a_generated_name(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    moto_adaptations.install()
    assert StepFunctionsParserBackend.start_execution is moto_adaptations._start_execution
    original = inspect.signature(moto_adaptations.original_start_execution())
    assert tuple(original.parameters) == moto_adaptations.START_EXECUTION_PARAMETERS
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = create_state_machine(f"pass-{uuid.uuid4().hex[:12]}", PASS_DEFINITION)

    first = client.start_execution(stateMachineArn=arn)["executionArn"]
    second = client.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second
    assert not first.endswith(":None")

    # Without the adaptation, moto names it None: the next nameless start would be refused.
    monkeypatch.setattr(
        StepFunctionsParserBackend, "start_execution", moto_adaptations.original_start_execution()
    )
    assert client.start_execution(stateMachineArn=arn)["executionArn"].endswith(":None")


def test_an_execution_is_not_deep_copyable_without_the_adaptation(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto < 5.2.3 deep-copied the state machine with its executions on every StartExecution."""
    moto_adaptations.install()
    arn = create_state_machine(f"pass-{uuid.uuid4().hex[:12]}", PASS_DEFINITION)
    client = boto3.client("stepfunctions", region_name=REGION)
    execution = client.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(lambda: _status(client, execution))
    state_machine = stepfunctions_parser_backends[ACCOUNT_ID][REGION].describe_state_machine(arn)

    clone = copy.deepcopy(state_machine)
    assert clone.executions[0] is state_machine.executions[0]

    monkeypatch.delattr(Execution, "__deepcopy__")
    with pytest.raises(TypeError, match="pickle"):
        copy.deepcopy(state_machine)


def test_moto_itself_no_longer_copies_executions_on_start(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto >= 5.2.3 (getmoto/moto#10093): when this fails, the Execution deep-copy adaptation is needed."""
    moto_adaptations.install()
    monkeypatch.delattr(Execution, "__deepcopy__")
    arn = create_state_machine(f"pass-{uuid.uuid4().hex[:12]}", PASS_DEFINITION)
    client = boto3.client("stepfunctions", region_name=REGION)

    first = client.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_for(lambda: _status(client, first)) == "SUCCEEDED"
    second = client.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_for(lambda: _status(client, second)) == "SUCCEEDED"


PASS_DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def _status(client: Any, execution_arn: str) -> str | None:
    status: str = client.describe_execution(executionArn=execution_arn)["status"]
    return None if status == "RUNNING" else status


# --- 4. atomic DynamoDB requests ----------------------------------------------------------------------------


def _winners(threads: int) -> int:
    """`threads` conditional updates of one new item at the same instant (`attribute_not_exists`): how
    many passed their condition. DynamoDB: exactly one."""
    client = boto3.client("dynamodb", region_name=REGION)
    table = f"race-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    barrier = threading.Barrier(threads)
    won: list[int] = []

    def take(n: int) -> None:
        barrier.wait()
        try:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": "slot"}},
                UpdateExpression="SET holder = :n",
                ConditionExpression="attribute_not_exists(holder)",
                ExpressionAttributeValues={":n": {"N": str(n)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return
        won.append(n)

    runners = [threading.Thread(target=take, args=(n,)) for n in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    return len(won)


@pytest.fixture
def slow_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's condition check made to wait for a second request's (1 s at most): moto reads the item, then
    parses and evaluates the condition, so two requests that meet there have both read it before either
    writes — what a race does, every time rather than by chance. A request alone there (moto's requests
    made atomic) waits its second, breaks the barrier, and every later one goes straight through."""
    original = dynamodb_models.create_condition_expression_parser  # type: ignore[attr-defined]
    meeting = threading.Barrier(2, timeout=1.0)

    def slow(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(dynamodb_models, "create_condition_expression_parser", slow)


def test_concurrent_conditional_updates_all_pass_in_moto_without_the_adaptation(
    aws: None, slow_conditions: None
) -> None:
    moto_adaptations.uninstall()
    try:
        assert _winners(20) > 1  # what moto does on its own: the race DynamoDB does not have
    finally:
        moto_adaptations.install()


def test_with_the_adaptation_one_conditional_update_wins(aws: None, slow_conditions: None) -> None:
    moto_adaptations.install()

    assert [_winners(20) for _ in range(3)] == [1, 1, 1]


def test_the_dynamodb_requests_made_atomic_are_motos(aws: None) -> None:
    moto_adaptations.install()
    for name in moto_adaptations.ATOMIC_DYNAMODB:
        method = getattr(DynamoDBBackend, name)
        assert getattr(method, "__sas_atomic__", False), name
        assert callable(method.__wrapped__)
