"""`make run` against a hostile client: what API Gateway + Lambda would answer, over real HTTP.

One `python -m sas_local` for the module (isolated mode: moto as a server, each Lambda function in worker
processes of its own), with a short connection timeout. Bodies that are not UTF-8 (13), HTTP framing and
slow clients (14), methods nobody routes and CORS preflights (15), percent-encoded paths (16), concurrent
requests to different capabilities (17), and moto's Lambda invoke reaching the functions' workers.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from local_process import free_port, local_platform
from sas_common.territory import territory_path
from sas_local.aws import FAKE_CREDENTIALS, REGION
from sas_local.gateway import HttpRequest, api_gateway_event
from sas_local.lambdas import function_arn

TIMEOUT_SECONDS = 2  # the server's connection timeout (SAS_HTTP_TIMEOUT_SECONDS), short for the slow client
LIMIT = 6 * 1024 * 1024  # the demo territory's max_request_body_bytes (API Gateway's)
MARTIN = "810000000001"
UNKNOWN = "819999999999"  # a well-formed national id no one has
JSON = {"content-type": "application/json"}


@dataclass
class Server:
    base: str
    port: int
    aws_endpoint: str | None  # moto's server, as the platform printed it
    pid: int
    output: list[str] = field(repr=False)

    def tokens(self, role: str, sub: str, **claims: str) -> dict[str, str]:
        answer = httpx.post(
            f"{self.base}/_local/token", json={"role": role, "sub": sub, **claims}, timeout=10
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    demo = json.loads(territory_path("demo").read_text(encoding="utf-8"))
    demo["editors"][0]["fhir_base_url"] = f"http://127.0.0.1:{free_port()}/fhir"  # its own demo editor
    territory = tmp_path_factory.mktemp("territory") / "demo.json"
    territory.write_text(json.dumps(demo), encoding="utf-8")
    env = {"SAS_TERRITORY_CONFIG": str(territory), "SAS_HTTP_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS)}
    with local_platform(env, drain=True) as (process, base, lines):
        aws = next((line for line in lines if line.startswith("AWS (moto server) on ")), None)
        endpoint = aws.split(" on ", 1)[1].strip() if aws else None
        yield Server(base, int(base.rsplit(":", 1)[1]), endpoint, process.pid, lines)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        yield client


# --- raw HTTP ----------------------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_exchange(server: Server, data: bytes, wait: float = 10.0) -> bytes:
    """Send `data` as is on a new connection and read until the server closes it (or `wait` passes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received


def parse(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head, "the server answered nothing"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), headers, body)


# --- 13. a body that is not UTF-8 --------------------------------------------------------------------------

NOT_UTF8 = b'\xff\xfe{"text": "caf\xe9"}'


def test_a_body_that_is_not_utf8_is_no_gateway_crash_the_role_check_comes_first(
    server: Server, http: httpx.Client
) -> None:
    path = f"/effecteurs/{MARTIN}/regulator-info"

    anonymous = http.put(path, content=NOT_UTF8, headers=JSON)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthenticated"

    regulator = http.put(path, content=NOT_UTF8, headers={**JSON, **server.tokens("regulator", "r")})
    assert regulator.status_code == 403
    assert regulator.json()["error"] == "forbidden"


def test_a_body_that_is_not_utf8_reaches_the_function_which_answers_it(
    server: Server, http: httpx.Client
) -> None:
    editor = server.tokens("editor", "e", editor_id="demo-editor")
    answer = http.post(
        "/fhir/Appointment", content=NOT_UTF8, headers={"content-type": "application/fhir+json", **editor}
    )
    assert answer.status_code == 400
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_the_event_carries_a_non_utf8_body_base64_encoded_as_api_gateway_does() -> None:
    for content_type in ("application/json", "text/plain", ""):
        request = HttpRequest("POST", "/fhir/Bundle", headers={"content-type": content_type}, body=NOT_UTF8)
        event = api_gateway_event(request, "POST /fhir/Bundle", {}, None)
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == NOT_UTF8
    text = HttpRequest("POST", "/fhir/Bundle", headers=JSON, body='{"a": "é"}'.encode())
    event = api_gateway_event(text, "POST /fhir/Bundle", {}, None)
    assert (event["isBase64Encoded"], event["body"]) == (False, '{"a": "é"}')


# --- 14. HTTP framing, body limit, slow clients ------------------------------------------------------------


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", " "])
def test_a_bad_content_length_is_a_400_json_at_once(server: Server, length: str) -> None:
    started = time.monotonic()
    raw = raw_exchange(
        server, f"POST /_local/token HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
    )
    response = parse(raw)
    assert time.monotonic() - started < TIMEOUT_SECONDS
    assert response.status == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "bad_request", "message": "Content-Length is invalid"}


def test_a_chunked_body_is_read(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"role": "regulator", '
        yield b'"sub": "chunked-reader"}'

    answer = http.post(
        "/_local/token", content=chunks(), headers=JSON
    )  # no length: Transfer-Encoding chunked

    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "chunked-reader"


def test_a_chunked_body_reaches_the_function(server: Server, http: httpx.Client) -> None:
    text = f"chunked {uuid.uuid4().hex}"

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "' + text.encode() + b'", '
        yield b'"phones": ["0611000001"]}'

    admin = server.tokens("territory_admin", "admin-1")
    answer = http.put(f"/effecteurs/{MARTIN}/regulator-info", content=chunks(), headers={**JSON, **admin})

    assert answer.status_code == 200, answer.text
    card = http.get(f"/effecteurs/{MARTIN}", headers=admin).json()
    assert card["regulator_info"]["text"] == text


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(server: Server) -> None:
    head = f"POST /_local/token HTTP/1.1\r\nHost: x\r\nContent-Length: {LIMIT + 1}\r\n\r\n".encode()
    response = parse(raw_exchange(server, head))  # headers only: the answer does not wait for the body
    assert response.status == 413
    assert response.json() == {"error": "payload_too_large", "message": f"the body exceeds {LIMIT} bytes"}


def test_a_body_at_the_limit_is_read(server: Server, http: httpx.Client) -> None:
    answer = http.post("/_local/token", content=b" " * (LIMIT - 2) + b"{}", headers=JSON)
    assert answer.status_code == 400  # read and parsed: {} has no role
    assert "role" in answer.json()["message"]


def test_a_chunked_body_over_the_limit_is_413_json(server: Server) -> None:
    received: list[bytes] = []

    def read(connection: socket.socket) -> None:  # as the body goes, so the answer is read when it comes
        try:
            while chunk := connection.recv(65536):
                received.append(chunk)
        except OSError:
            pass  # the answer came first; then the server dropped what it would not read

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        reader = threading.Thread(target=read, args=(connection,))
        reader.start()
        connection.sendall(b"POST /_local/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        try:
            for _ in range(LIMIT // len(piece) + 2):
                connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        except OSError:
            pass  # the server stopped reading once over the limit
        reader.join(timeout=30)
    response = parse(b"".join(received))
    assert response.status == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_slow_client_holds_nothing_and_is_closed_after_the_timeout(
    server: Server, http: httpx.Client
) -> None:
    assert http.get("/health").status_code == 200  # meta's worker started (its cold start is not the point)
    stalled = []
    for _ in range(20):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT_SECONDS + 8)
        connection.sendall(b'POST /_local/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"role"')
        stalled.append(connection)
    started = time.monotonic()
    try:
        for _ in range(5):  # the others are served meanwhile, at once
            asked = time.monotonic()
            assert http.get("/health").status_code == 200
            assert time.monotonic() - asked < 1.0
        closed_after = []
        for connection in stalled:
            assert connection.recv(1024) == b"", "a stalled request got an answer"  # closed by the server
            closed_after.append(time.monotonic() - started)
    finally:
        for connection in stalled:
            connection.close()
    assert min(closed_after) >= TIMEOUT_SECONDS - 0.5
    assert max(closed_after) <= TIMEOUT_SECONDS + 5


# --- 15. methods and paths nobody routes, CORS -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("TRACE", "/health"),
        ("OPTIONS", "/health"),
        ("DELETE", "/health"),
        ("POST", f"/effecteurs/{MARTIN}"),
        ("PROPFIND", "/effecteurs"),
        ("GET", "/nowhere"),
        ("GET", "/_local/token"),
    ],
)
def test_no_route_is_a_404_json(http: httpx.Client, method: str, path: str) -> None:
    answer = http.request(method, path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"error": "not_found", "message": f"no route {method} {path}"}


def test_a_cors_preflight_from_the_local_origin_is_answered(server: Server, http: httpx.Client) -> None:
    origin = f"http://127.0.0.1:{server.port}"
    answer = http.options(
        f"/effecteurs/{MARTIN}/participation",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.content == b""
    assert answer.headers["access-control-allow-origin"] == origin
    assert {"GET", "PUT", "POST", "PATCH", "DELETE"} <= set(
        answer.headers["access-control-allow-methods"].split(",")
    )
    assert {"authorization", "content-type"} <= set(answer.headers["access-control-allow-headers"].split(","))

    card = http.get(f"/effecteurs/{MARTIN}", headers={"Origin": origin, **server.tokens("regulator", "r")})
    assert card.status_code == 200
    assert card.headers["access-control-allow-origin"] == origin


def test_a_cors_preflight_from_another_origin_gets_no_allowance(http: httpx.Client) -> None:
    answer = http.options(
        "/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert answer.status_code == 204
    assert "access-control-allow-origin" not in answer.headers
    assert (
        "access-control-allow-origin"
        not in http.get("/health", headers={"Origin": "https://evil.example"}).headers
    )


# --- 16. percent-encoded paths -----------------------------------------------------------------------------


def test_path_parameters_are_percent_decoded(server: Server, http: httpx.Client) -> None:
    regulator = server.tokens("regulator", "r")
    card = http.get("/effecteurs/81000000000%31", headers=regulator)
    assert card.status_code == 200, card.text
    assert card.json()["national_id"] == MARTIN

    today = date.today()
    agenda = http.get(
        "/effecteurs/%38%31%30000000001/agenda",
        params={"from": str(today), "to": str(today + timedelta(days=6))},
        headers=regulator,
    )
    assert agenda.status_code == 200, agenda.text

    unknown = http.get(f"/effecteurs/{UNKNOWN[:-1]}%3{UNKNOWN[-1]}", headers=regulator)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "national_id"


def test_the_event_carries_the_decoded_path() -> None:
    request = HttpRequest("GET", "/effecteurs/81000000000%31", headers={})
    event = api_gateway_event(request, "GET /effecteurs/{national_id}", {"national_id": MARTIN}, None)
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == f"/effecteurs/{MARTIN}"


# --- 17. concurrent requests to different capabilities -----------------------------------------------------

TRAFFIC_SECONDS = 5.0
THREADS = 16


@dataclass
class Call:
    kind: str  # a key of PATHS
    started: float
    ended: float
    status: int
    content_type: str
    body: Any


# What each thread asks in turn: the agenda function's errors (its JSON) and the ingest function's (FHIR).
PATHS = {
    "agenda": (f"/effecteurs/{UNKNOWN}", 404),  # refused by the entry point, before the resolver
    "fhir": ("/fhir/Appointment/{id}", 404),
    "agenda-rule": (f"/effecteurs/{MARTIN}/agenda?from=2026-01-01&to=2026-12-31", 422),  # by the resolver
}
TURNS = ("agenda", "fhir", "agenda-rule", "fhir")


def _call(client: httpx.Client, kind: str, headers: dict[str, str]) -> Call:
    path = PATHS[kind][0].replace("{id}", uuid.uuid4().hex)
    started = time.monotonic()
    answer = client.get(path, headers=headers)
    ended = time.monotonic()
    try:
        body: Any = answer.json()
    except ValueError:
        body = answer.text
    return Call(kind, started, ended, answer.status_code, answer.headers.get("content-type", ""), body)


def _traffic(server: Server, first: int, regulator: dict[str, str], editor: dict[str, str]) -> list[Call]:
    calls = []
    deadline = time.monotonic() + TRAFFIC_SECONDS
    with httpx.Client(base_url=server.base, timeout=30) as client:
        turn = first
        while time.monotonic() < deadline:
            kind = TURNS[turn % len(TURNS)]
            calls.append(_call(client, kind, editor if kind == "fhir" else regulator))
            turn += 1
    return calls


def max_in_flight(calls: list[Call]) -> int:
    """The most requests in flight at one instant (each from its send to its answer)."""
    moments = sorted([(call.started, 1) for call in calls] + [(call.ended, -1) for call in calls])
    in_flight = most = 0
    for _, step in moments:
        in_flight += step
        most = max(most, in_flight)
    return most


def worker_processes(platform_pid: int) -> int | None:
    """How many function instances (worker processes, children of the platform's fork server) run; None
    where /proc does not tell."""
    if not Path("/proc/self/stat").exists():
        return None
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    servers = [pid for pid, parent in parents.items() if parent == platform_pid and _is_fork_server(pid)]
    return sum(1 for parent in parents.values() if parent in servers)


def _is_fork_server(pid: int) -> bool:
    try:
        return b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_concurrent_requests_to_two_capabilities_each_answer_in_their_own_format(server: Server) -> None:
    regulator = server.tokens("regulator", "reg-load")
    editor = server.tokens("editor", "editor-load", editor_id="demo-editor")
    with httpx.Client(base_url=server.base, timeout=30) as warm:  # one instance of each is started
        for kind in TURNS:
            _call(warm, kind, editor if kind == "fhir" else regulator)
    instances_before = worker_processes(server.pid)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        batches = list(pool.map(lambda n: _traffic(server, n, regulator, editor), range(THREADS)))
    calls = [call for batch in batches for call in batch]

    wrong = [call for call in calls if not _in_its_own_format(call)]
    assert not wrong, f"{len(wrong)} of {len(calls)} answers were not their capability's, e.g. {wrong[:3]}"
    assert max(call.status for call in calls) < 500
    overlap = max_in_flight(calls)
    assert overlap >= 2, "the requests never overlapped"
    instances_after = worker_processes(server.pid)
    if instances_before is not None and instances_after is not None:
        # A pool starts another instance only when all of its own are busy: the server ran requests at once.
        assert instances_after > instances_before
    record = {
        "requests": len(calls),
        "max_in_flight": overlap,
        "instances": [instances_before, instances_after],
    }
    print(f"\nconcurrency: {record}")


def _in_its_own_format(call: Call) -> bool:
    if call.status != PATHS[call.kind][1] or not isinstance(call.body, dict):
        return False
    if call.kind == "fhir":
        return call.content_type.startswith("application/fhir+json") and (
            call.body.get("resourceType") == "OperationOutcome"
        )
    return (
        call.content_type == "application/json" and "error" in call.body and "resourceType" not in call.body
    )


# --- moto's Lambda invoke reaches the functions' workers ---------------------------------------------------


def test_moto_lambda_invoke_and_a_state_machine_task_run_in_the_functions_workers(server: Server) -> None:
    assert server.aws_endpoint is not None, "the platform did not say where its AWS is"
    endpoint = server.aws_endpoint
    key, secret = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"], FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    lambda_ = boto3.client(
        "lambda", REGION, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret
    )
    sfn = boto3.client(
        "stepfunctions", REGION, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret
    )
    event = api_gateway_event(HttpRequest("GET", "/health"), "GET /health", {}, None)
    answer = lambda_.invoke(FunctionName="sas-local-meta", Payload=json.dumps(event))
    assert "FunctionError" not in answer
    result = json.load(answer["Payload"])
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"status": "ok"})

    definition = {
        "StartAt": "Expire",
        "States": {
            "Expire": {"Type": "Task", "Resource": function_arn("sas-local-job-expire-slots"), "End": True}
        },
    }
    machine = sfn.create_state_machine(
        name=f"expire-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/local-sfn",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED", described
    assert "expired" in json.loads(described["output"])
