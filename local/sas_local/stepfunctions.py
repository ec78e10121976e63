"""Step Functions state machines from the CDK-synthesised template, run on moto's ASL interpreter.

The definition the local runtime executes is the one CloudFormation would deploy: the template's
`AWS::StepFunctions::StateMachine` `DefinitionString` with its intrinsic functions resolved against local
physical values. Lambda task states reach the in-process handlers registered in `lambdas.REGISTRY` (see
`moto_adaptations`); SQS, DynamoDB, ... tasks reach moto's services.

    resources = provision(template, {"DecideFn1234": decide.handler})
    definition = resolve_definition(template, resources)
    arn = create_state_machine("sas-local-flow", definition)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

from sas_local import moto_adaptations
from sas_local.lambdas import ACCOUNT_ID, REGION, REGISTRY, Handler

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

LOCAL_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/local-sfn"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
PSEUDO_PARAMETERS: Mapping[str, str] = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::URLSuffix": "amazonaws.com",
}

# CloudFormation logical id → {"Ref": value, attribute name (as in Fn::GetAtt): value}.
Resources = Mapping[str, Mapping[str, str]]


class UnresolvedReference(LookupError):
    """A template reference with no local value: names the logical id (and attribute) it needed."""


def resolve_definition(
    template: Mapping[str, Any], resources: Resources, logical_id: str | None = None
) -> str:
    """The ASL JSON of the template's state machine (the only one, or `logical_id`), intrinsics resolved."""
    logical_id = logical_id or _only_state_machine(template)
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != STATE_MACHINE:
        raise UnresolvedReference(f"no {STATE_MACHINE} {logical_id!r} in the template")
    properties = resource.get("Properties", {})
    if "DefinitionString" in properties:
        definition = _definition_string(properties["DefinitionString"], resources, logical_id)
    elif "Definition" in properties:
        definition = json.dumps(_resolve(properties["Definition"], resources, logical_id))
    else:
        raise UnresolvedReference(f"state machine {logical_id!r} has no DefinitionString nor Definition")
    substitutions = _resolve(properties.get("DefinitionSubstitutions", {}), resources, logical_id)
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", str(value))
    try:
        json.loads(definition)
    except ValueError as error:
        raise ValueError(f"state machine {logical_id!r}: resolved definition is not JSON: {error}") from error
    return definition


def create_state_machine(name: str, definition: str) -> str:
    """Create the state machine in moto (a dummy role); returns its ARN.

    moto returns an existing state machine of that name unchanged, whatever the definition; AWS refuses a
    different one (StateMachineAlreadyExists), and so does this.
    """
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(name=name, definition=definition, roleArn=LOCAL_ROLE_ARN)[
        "stateMachineArn"
    ]
    if client.describe_state_machine(stateMachineArn=arn)["definition"] != definition:
        raise ValueError(f"state machine {name!r} already exists in moto with another definition")
    return arn


def provision(template: Mapping[str, Any], handlers: Mapping[str, Handler]) -> dict[str, dict[str, str]]:
    """Create in moto the SQS queues the template declares and register `handlers` (Lambda logical id →
    in-process handler) in `lambdas.REGISTRY`; returns their local values for `resolve_definition`.

    Physical names are the literal QueueName / FunctionName when the template sets one, else the logical id.
    Lambda functions without a handler get no value, so a definition using one fails to resolve.
    Installs the moto adaptations (Lambda tasks run the registered handlers).
    """
    moto_adaptations.install()
    declared = template.get("Resources", {})
    unknown = sorted(
        logical_id
        for logical_id in handlers
        if declared.get(logical_id, {}).get("Type") != "AWS::Lambda::Function"
    )
    if unknown:
        raise ValueError(f"handlers given for {unknown}: not AWS::Lambda::Function resources")
    resources: dict[str, dict[str, str]] = {}
    sqs = boto3.client("sqs", region_name=REGION)
    redrives: dict[str, tuple[str, Any]] = {}
    for logical_id, resource in declared.items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::SQS::Queue":
            name, attributes = _queue(logical_id, properties)
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            resources[logical_id] = {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}
            if "RedrivePolicy" in properties:
                redrives[logical_id] = (url, properties["RedrivePolicy"])
        elif resource.get("Type") == "AWS::Lambda::Function" and logical_id in handlers:
            name = _literal(properties.get("FunctionName")) or logical_id
            arn = REGISTRY.register(name, handlers[logical_id])
            resources[logical_id] = {"Ref": name, "Arn": arn}
    for logical_id, (url, redrive) in redrives.items():  # dead-letter queues by Arn: all exist now
        policy = json.dumps(_resolve(redrive, resources, logical_id))
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
    return resources


# Literal queue properties that map one to one onto SQS attributes.
_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "ContentBasedDeduplication",
    "DelaySeconds",
    "FifoQueue",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _queue(logical_id: str, properties: Mapping[str, Any]) -> tuple[str, dict[QueueAttributeNameType, str]]:
    attributes: dict[QueueAttributeNameType, str] = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key in _QUEUE_ATTRIBUTES
        if (value := properties.get(key)) is not None and not isinstance(value, dict)
    }
    name = _literal(properties.get("QueueName")) or logical_id
    if attributes.get("FifoQueue") == "true" and not name.endswith(".fifo"):
        name += ".fifo"
    return name, attributes


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _only_state_machine(template: Mapping[str, Any]) -> str:
    ids: list[str] = [i for i, r in template.get("Resources", {}).items() if r.get("Type") == STATE_MACHINE]
    if len(ids) != 1:
        raise UnresolvedReference(f"the template has {len(ids)} state machines {ids}: name one")
    return ids[0]


def _resolve(value: Any, resources: Resources, where: str) -> Any:
    """A template value with Ref / Fn::GetAtt / Fn::Join and pseudo parameters replaced by local values."""
    if isinstance(value, list):
        return [_resolve(item, resources, where) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return _ref(argument, resources, where)
        if key == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return _value(logical_id, attribute, resources, where)
        if key == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(_resolve(part, resources, where)) for part in parts)
        if key.startswith("Fn::"):
            raise UnresolvedReference(f"{where}: intrinsic {key} is not supported locally")
    return {k: _resolve(v, resources, where) for k, v in value.items()}


def _definition_string(value: Any, resources: Resources, where: str) -> str:
    """A DefinitionString: a literal, or the Fn::Join CDK renders, its tokens inside JSON string literals
    (so resolved values are JSON-escaped; a no-op for ARNs and URLs)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        separator, parts = value["Fn::Join"]
        return str(separator).join(
            part if isinstance(part, str) else json.dumps(str(_resolve(part, resources, where)))[1:-1]
            for part in parts
        )
    resolved = _resolve(value, resources, where)
    if not isinstance(resolved, str):
        raise UnresolvedReference(f"state machine {where!r}: DefinitionString is not a string")
    return resolved


def _ref(name: str, resources: Resources, where: str) -> str:
    if name.startswith("AWS::"):
        if name not in PSEUDO_PARAMETERS:
            raise UnresolvedReference(f"{where}: pseudo parameter {name} is not supported locally")
        return PSEUDO_PARAMETERS[name]
    return _value(name, "Ref", resources, where)


def _value(logical_id: str, attribute: str, resources: Resources, where: str) -> str:
    if logical_id not in resources:
        raise UnresolvedReference(
            f"{where} references {logical_id!r} ({attribute}): no local value for it "
            f"(known: {sorted(resources)})"
        )
    values = resources[logical_id]
    if attribute not in values:
        raise UnresolvedReference(
            f"{where} references {logical_id!r} ({attribute}): no local {attribute} for it "
            f"(known: {sorted(values)})"
        )
    return values[attribute]
