"""The booking flow's state machine (Step Functions): starting a booking's execution, answering its wait."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sas_common.errors import UpstreamUnavailable
from sas_common.storage import error_code
from sas_common.stores.clients import AwsClients

# What SendTaskSuccess answers for a token whose wait is over (timed out, or answered already).
_TOKEN_GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class WorkflowStore:
    def __init__(self, aws: AwsClients, state_machine_arn: str | None) -> None:
        self._aws = aws
        self._arn = state_machine_arn

    def start(self, name: str, execution_input: Mapping[str, Any]) -> str:
        """Start the execution named `name` (a booking's id: a second start of the same name and input is
        the same execution, as Step Functions has it); its ARN."""
        if self._arn is None:
            raise RuntimeError("this function has no booking state machine (SAS_BOOKING_STATE_MACHINE)")
        try:
            answer = self._aws.stepfunctions.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(execution_input)
            )
        except (ClientError, BotoCoreError) as error:
            raise UpstreamUnavailable("the booking could not be started: try again in a moment") from error
        return answer["executionArn"]

    def send_success(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """Answer a wait; False when the wait is already over (timed out, or answered)."""
        try:
            self._aws.stepfunctions.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as error:
            if error_code(error) in _TOKEN_GONE:
                return False
            raise
        return True
