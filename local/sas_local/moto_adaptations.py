"""The few places where the local runtime adapts moto, each with why and the moto version it was checked on.

`install()` applies them all (idempotent); `uninstall()` restores moto (tests use it to show what each one
changes). Every adaptation was checked on moto `MOTO_CHECKED`; `check_moto_version()` warns on any other
version, and tests/integration/test_local_stepfunctions.py holds a guard test per adaptation that fails when
moto changes under it.

1. Lambda invoke served by the platform's functions (needed).
   With `stepfunctions.execute_state_machine` on, moto's ASL interpreter runs a Lambda task state by calling
   boto3 `lambda.invoke` (moto/stepfunctions/parser/asl/component/state/exec/state_task/lambda_eval_utils.py),
   which moto routes to `get_backend(...).invoke(function_name, qualifier, body, headers, response_headers)`;
   with `lambda.use_docker` off `get_backend` (moto/awslambda/utils.py) picks `LambdaSimpleBackend`, whose
   `invoke` echoes the request body (or a canned result). It never looks the function up, so no placeholder
   function needs to exist in moto's Lambda backend. We replace `LambdaSimpleBackend.invoke`: a function
   name (plain, ARN or partial ARN, with or without qualifier) registered in `lambdas.REGISTRY` runs
   with the JSON-decoded payload and returns its JSON-encoded result; any other name gets moto's original
   behaviour. The platform registers each of its functions there as a call to its invoker
   (`sas_local.functions`): in-process under `mock_aws` (tests), and in the function's worker processes
   when moto runs as a server in the platform process (`make run`): the server's request thread runs this
   same patched method, so a Lambda task of a state machine reaches the function's pool of workers.
   A handler exception is reported as Lambda reports an unhandled error: header
   `X-Amz-Function-Error: Unhandled` (botocore's `FunctionError`) and an `{errorMessage, errorType,
   stackTrace}` payload. moto's interpreter turns `FunctionError` into `LambdaFunctionErrorException` and
   takes the state's error name from the payload's `errorType` (state_task_lambda.py and
   service/state_task_service_lambda.py `_from_error`), so Retry/Catch match the exception's class name,
   as on AWS (a worker reports its handler's exception class, `lambdas.FunctionError`).

2. Step Functions `Execution` shared, not copied, by `copy.deepcopy` (safety net on moto >= 5.2.3).
   `StepFunctionsParserBackend.start_execution` deep-copies the state machine as a snapshot for the new
   execution. On moto 5.2.0-5.2.2 that copy walks `state_machine.executions` and `state_machine.backend`,
   reaching the live `Execution` of any earlier run (a worker thread and an `RLock`), so the second
   StartExecution of a state machine failed with "cannot pickle '_thread.RLock' object"
   (getmoto/moto#10077). moto 5.2.3 (PR #10093) seeds the deepcopy memo to skip both, so on `MOTO_CHECKED`
   the normal path no longer copies an `Execution`; an `Execution` itself is still not deep-copyable. The
   adaptation gives `Execution` a `__deepcopy__` that returns the execution itself: an execution is a
   running entity with an identity (its ARN, its worker thread, its callback pool for task tokens), not a
   value, and a detached copy could neither run nor receive `SendTaskSuccess`. It keeps the local runtime
   working across the whole `moto>=5.2,<5.3` range pyproject allows (checked: on moto 5.2.2 the second
   execution fails without it and succeeds with it); once the pin requires moto >= 5.2.3 it can go.

3. StartExecution without a name gets a generated one (needed).
   AWS names a nameless execution with a UUID, and so does moto's plain Step Functions backend, but the
   parser backend (`StepFunctionsParserBackend.start_execution`, used with `execute_state_machine` on) keeps
   `name=None`: the execution ARN ends in `:None` and the second nameless StartExecution of a state machine
   fails with ExecutionAlreadyExists. Production code starts executions without a name, so the override
   fills in `str(uuid4())` when no name is given, then calls moto's own `start_execution`.

4. DynamoDB requests atomic, as DynamoDB's are (needed under concurrency).
   DynamoDB applies each write to an item atomically: a conditional UpdateItem evaluates its condition and
   writes with no other write in between, which is what the booking's hold relies on (of two regulators
   taking the last place, exactly one wins). moto's `DynamoDBBackend.update_item` (and `put_item`,
   `delete_item`, `transact_write_items`) reads the item, evaluates the condition, then changes the item in
   place, with no lock: when moto runs as a server (`make run`: a thread per request), two conditional
   updates of one item can both pass their condition (seen: two holds of one slot among 50 concurrent
   bookings), and a read can see an item half updated. The override runs every request of the DynamoDB
   backend that reads or writes items under one lock (re-entrant: a transaction calls the others), so each
   is atomic and isolated, as on AWS. DynamoDB requests of the local platform are short; serialising them
   costs little. Batch requests stay item by item, as on AWS (moto's BatchWriteItem calls `put_item` and
   `delete_item` per item).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import moto
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from sas_local.lambdas import REGISTRY, FunctionError, error_payload

MOTO_CHECKED = "5.2.5"

# The parameters of the moto methods the overrides wrap (guarded by a test).
INVOKE_PARAMETERS = ("self", "function_name", "qualifier", "body", "headers", "response_headers")
START_EXECUTION_PARAMETERS = ("self", "state_machine_arn", "name", "execution_input", "trace_header")

LOG = logging.getLogger(__name__)

_lock = threading.Lock()
_original_invoke: Callable[..., str | bytes | None] | None = None
_original_start_execution: Callable[..., Execution] | None = None
_deepcopy_added = False
# The DynamoDB backend's requests that read or write items (adaptation 4), and their originals.
ATOMIC_DYNAMODB = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "get_item",
    "query",
    "scan",
)
_dynamodb_lock = threading.RLock()
_original_dynamodb: dict[str, Callable[..., Any]] = {}


def check_moto_version() -> bool:
    """True when the installed moto is the one the adaptations were checked on; warns otherwise."""
    if moto.__version__ == MOTO_CHECKED:
        return True
    warnings.warn(
        f"sas_local.moto_adaptations were checked on moto {MOTO_CHECKED}, moto {moto.__version__} is "
        "installed: run tests/integration/test_local_stepfunctions.py and recheck each adaptation",
        RuntimeWarning,
        stacklevel=2,
    )
    return False


def install() -> None:
    """Apply every adaptation to moto (idempotent, thread-safe)."""
    global _original_invoke, _original_start_execution, _deepcopy_added
    with _lock:
        if _original_invoke is not None:
            return
        check_moto_version()
        _original_invoke = LambdaSimpleBackend.invoke
        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
        _original_start_execution = StepFunctionsParserBackend.start_execution
        StepFunctionsParserBackend.start_execution = _start_execution  # type: ignore[method-assign]
        if "__deepcopy__" not in vars(Execution):
            Execution.__deepcopy__ = _execution_deepcopy  # type: ignore[attr-defined]
            _deepcopy_added = True
        for name in ATOMIC_DYNAMODB:
            _original_dynamodb[name] = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, _atomic(_original_dynamodb[name]))


def uninstall() -> None:
    """Restore moto as it was before `install()`."""
    global _original_invoke, _original_start_execution, _deepcopy_added
    with _lock:
        if _original_invoke is None:
            return
        LambdaSimpleBackend.invoke = _original_invoke  # type: ignore[method-assign]
        _original_invoke = None
        if _original_start_execution is not None:
            StepFunctionsParserBackend.start_execution = _original_start_execution  # type: ignore[method-assign]
        _original_start_execution = None
        if _deepcopy_added:
            del Execution.__deepcopy__  # type: ignore[attr-defined]
            _deepcopy_added = False
        for name, original in _original_dynamodb.items():
            setattr(DynamoDBBackend, name, original)
        _original_dynamodb.clear()


def installed() -> bool:
    return _original_invoke is not None


def original_invoke() -> Callable[..., str | bytes | None]:
    """moto's own `LambdaSimpleBackend.invoke`, whether or not the adaptation is installed."""
    return _original_invoke or LambdaSimpleBackend.invoke


def original_start_execution() -> Callable[..., Execution]:
    """moto's own `StepFunctionsParserBackend.start_execution`, whether or not the adaptation is installed."""
    return _original_start_execution or StepFunctionsParserBackend.start_execution


# --- 1. Lambda invoke ---------------------------------------------------------------------------------------


def _invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    if function_name not in REGISTRY:
        return original_invoke()(self, function_name, qualifier, body, headers, response_headers)
    invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
    event = _decode(body)
    if invocation_type == "DryRun":
        return b""
    try:
        result = REGISTRY.invoke(function_name, event)
    except Exception as error:
        LOG.warning("local Lambda %s raised", function_name, exc_info=True)
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps(_error_payload(error)).encode()
    else:
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            marshal_error = {
                "errorMessage": f"Unable to marshal response: {error}",
                "errorType": "Runtime.MarshalError",
            }
            payload = json.dumps(marshal_error).encode()
    # An asynchronous ("Event") invocation runs synchronously here: deterministic; the caller gets a 202.
    return b"" if invocation_type == "Event" else payload


def _decode(body: Any) -> Any:
    """The event, from the request body as Lambda parses it (no body: `{}`; not JSON: a client error)."""
    if isinstance(body, bytes):
        body = body.decode()
    if not body:
        return {}
    try:
        return json.loads(body)
    except ValueError as error:
        raise LambdaClientError(
            "InvalidRequestContentException", f"Could not parse request body into json: {error}"
        ) from error


def _error_payload(error: Exception) -> dict[str, Any]:
    """What the Lambda Python runtime returns for an unhandled exception: a worker's own report as is (its
    `errorType` is the handler's exception class), else made from the exception raised here."""
    if isinstance(error, FunctionError):
        return error.payload
    return error_payload(error)


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


# --- 2. Execution deep copy ---------------------------------------------------------------------------------


def _execution_deepcopy(self: Execution, memo: dict[int, Any]) -> Execution:
    return self


# --- 3. Execution name --------------------------------------------------------------------------------------


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: str | None = None,
    trace_header: str | None = None,
) -> Execution:
    return original_start_execution()(
        self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
    )


# --- 4. Atomic DynamoDB requests ----------------------------------------------------------------------------


def _atomic(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def atomic(*args: Any, **kwargs: Any) -> Any:
        with _dynamodb_lock:
            return method(*args, **kwargs)

    atomic.__sas_atomic__ = True  # type: ignore[attr-defined]
    return atomic
