"""The booking flow's state machine as the local runtime runs it: the definition the CDK stack deploys
(infra/constructs/booking.py), synthesised, its intrinsics resolved (`sas_local.stepfunctions`) with the
steps function under its local name, and kept in `booking_flow.asl.json`.

The file is generated, never edited: `make state-machines` rewrites it from a synthesis of the demo stack,
and a test (tests/infrastructure/test_stack.py) fails when it differs from what the stack synthesises now,
so the ASL that runs locally is the ASL that deploys. Keeping it spares every `make run` and every test
session a synthesis (half a minute of node).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from sas_common.capabilities import BOOKING_STEPS
from sas_common.settings import BOOKING_STATE_MACHINE_ENV, PATIENT_CONTACT_KEY_ENV
from sas_local.functions import PREFIX
from sas_local.lambdas import REGION, function_arn
from sas_local.stepfunctions import STATE_MACHINE, create_state_machine, resolve_definition

DEFINITION_FILE = Path(__file__).with_name("booking_flow.asl.json")
STEPS_FUNCTION = PREFIX + BOOKING_STEPS.label  # the local name of the steps function
STATE_MACHINE_NAME = "sas-local-booking"


def definition_from(template: Mapping[str, Any]) -> str:
    """The booking state machine of a synthesised stack template, resolved for the local runtime."""
    resources = template.get("Resources", {})
    handler = BOOKING_STEPS.spec.handler(BOOKING_STEPS.entrypoint)
    [steps] = [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::Function"
        and resource["Properties"].get("Handler") == handler
    ]
    [machine] = [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == STATE_MACHINE and steps in str(resource["Properties"])
    ]
    local = {steps: {"Ref": STEPS_FUNCTION, "Arn": function_arn(STEPS_FUNCTION)}}
    return json.dumps(json.loads(resolve_definition(template, local, machine)), indent=2)


def definition() -> str:
    """The committed definition (what `make run` and the tests create in moto)."""
    return DEFINITION_FILE.read_text(encoding="utf-8").rstrip("\n")


def provision() -> dict[str, str]:
    """Create, in the running moto, the territory's key for patients' contacts and the booking state
    machine (its steps function is reached by name: `lambdas.REGISTRY`); the environment that names them
    to the functions, as the stack sets it."""
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="local: seals patients' contact details")["KeyMetadata"]["Arn"]
    machine = create_state_machine(STATE_MACHINE_NAME, definition())
    return {BOOKING_STATE_MACHINE_ENV: machine, PATIENT_CONTACT_KEY_ENV: key}


def main() -> int:
    """Synthesise the demo stack (offline, no bundling) and rewrite the committed definition."""
    from aws_cdk.assertions import Template

    from infra.app import build_app, load

    with tempfile.TemporaryDirectory() as outdir:
        app, stack = build_app(load("demo"), outdir=outdir, context={"aws:cdk:bundling-stacks": []})
        app.synth()
        written = definition_from(Template.from_stack(stack).to_json())
    DEFINITION_FILE.write_text(written + "\n", encoding="utf-8")
    print(f"wrote {DEFINITION_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
