"""The local HTTP server: API Gateway's front door, `/_local/*` helpers, every other request through the
local gateway.

HTTP itself is waitress's (a maintained pure-Python WSGI server): request framing (Content-Length,
chunked bodies, `Expect: 100-continue`), a timeout on idle and stalled connections
(`SAS_HTTP_TIMEOUT_SECONDS`, default 30), and the territory's body limit (`max_request_body_bytes`, API
Gateway's) enforced while the body is received. A connection costs no thread while it sends its request:
one of the server's threads serves a request once it has arrived whole. Every answer is JSON, as API
Gateway's are, waitress's own refusals too (400 on bad framing, 413 over the limit, in the platform's
`{error, message}` shape); CORS preflights are answered before any route, as the HTTP API answers them
(`sas_local.cors`).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from sas_common.auth import Role
from sas_common.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge
from sas_common.jobs import JOBS
from sas_common.observability import logger
from sas_local.cors import CorsPolicy, local_policy
from sas_local.gateway import HttpRequest, HttpResponse, error_response
from sas_local.issuer import TOKEN_LIFETIME_SECONDS
from sas_local.platform import LocalPlatform

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TOKEN_PATH = "/_local/token"  # noqa: S105 - a route, not a secret
JOB_PATH = re.compile(r"^/_local/jobs/(?P<name>[a-z0-9-]+)$")


class TokenRequest(BaseModel):
    """`POST /_local/token`: who the token is for (in production, a Pro Santé Connect login)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    sub: Annotated[str, Field(min_length=1, max_length=200)]
    editor_id: str | None = None
    structure_id: str | None = None
    lifetime_seconds: Annotated[int, Field(ge=1, le=24 * 3600)] = TOKEN_LIFETIME_SECONDS


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def local_route(platform: LocalPlatform, request: HttpRequest) -> HttpResponse | None:
    """The local-only routes; None when the request is for the platform's API."""
    if request.path == TOKEN_PATH:
        if request.method != "POST":
            raise NotFound(f"no route {request.method} {request.path}")
        return _token(platform, request.body)
    found = JOB_PATH.match(request.path)
    if found and request.method == "POST":
        name = found.group("name")
        if name not in JOBS:
            raise NotFound(f"no job {name!r}; jobs: {', '.join(sorted(JOBS))}", field="name")
        return _json(200, platform.run_job(name))
    return None


def _token(platform: LocalPlatform, body: bytes) -> HttpResponse:
    try:
        wanted = TokenRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        if first["type"] == "json_invalid":
            raise InvalidInput(f"the body is not valid JSON: {first['msg']}") from exc
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from exc
    token = platform.issuer.mint(
        role=wanted.role.value,
        sub=wanted.sub,
        editor_id=wanted.editor_id,
        structure_id=wanted.structure_id,
        lifetime_seconds=wanted.lifetime_seconds,
    )
    return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": wanted.lifetime_seconds})


def dispatch(platform: LocalPlatform, request: HttpRequest, cors: CorsPolicy | None = None) -> HttpResponse:
    """One request, as API Gateway and the function answer it: a CORS preflight (when `cors` is set), a
    local route, or the platform's API; never an exception."""
    if cors is not None and cors.is_preflight(request.method, request.headers):
        return HttpResponse(HTTPStatus.NO_CONTENT, cors.preflight_headers(request.headers), b"")
    response = _answer(platform, request)
    if cors is not None:
        response.headers.update(cors.response_headers(request.headers))
    return response


def _answer(platform: LocalPlatform, request: HttpRequest) -> HttpResponse:
    try:
        return local_route(platform, request) or platform.handle(request)
    except DomainError as error:
        return error_response(error)
    except Exception:
        # What API Gateway answers when the integration fails; the traceback goes to the console.
        logger.exception("unhandled error", extra={"path": request.path})
        return _json(500, {"error": "internal_error", "message": "Internal Server Error"})


# --- HTTP ---------------------------------------------------------------------------------------------------

TIMEOUT_ENV = "SAS_HTTP_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 30  # API Gateway's idle connection timeout is about that
# Requests served at once (each waits for its function): more than all the functions' instances together.
HTTP_THREADS = 48
# Headers about one hop that a WSGI application may not set (waitress refuses them).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade"}
)  # fmt: skip


def timeout_from_environment() -> int:
    value = os.environ.get(TIMEOUT_ENV, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else DEFAULT_TIMEOUT_SECONDS


def http_request(environ: WSGIEnvironment) -> HttpRequest:
    """The request as sent: the path still percent-encoded (the gateway decodes it once, as API Gateway
    does), lower-case header names, the whole body (waitress has received it, de-chunked)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    body: bytes = environ["wsgi.input"].read()
    return HttpRequest(
        str(environ["REQUEST_METHOD"]),
        _raw_path(str(environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")),
        str(environ.get("QUERY_STRING", "")),
        headers,
        body,
        str(environ.get("REMOTE_ADDR", "127.0.0.1")),
    )


def _raw_path(target: str) -> str:
    """The path of a request target (origin form `/p?q`, or absolute form `http://host/p?q`), not decoded."""
    if target.startswith("/"):
        return target.partition("#")[0].partition("?")[0]
    return urlsplit(target).path or "/"


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class JsonErrorTask(ErrorTask):
    """waitress's own refusals (bad framing, headers or body too large, unsupported transfer coding) as JSON
    in the platform's error shape, where waitress would answer text/plain."""

    def execute(self) -> None:
        error = self.request.error  # type: ignore[attr-defined]
        code, reason, detail = int(error.code), str(error.reason), str(error.body)
        if code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            limit = self.channel.server.adj.max_request_body_size - 1
            body = PayloadTooLarge(f"the body exceeds {limit} bytes").body()
        else:
            body = {"error": reason.lower().replace(" ", "_"), "message": detail or reason}
        payload = json.dumps(body).encode()
        self.status = f"{code} {reason}"
        self.response_headers.extend([("Content-Type", "application/json")])  # type: ignore[attr-defined]
        self.set_close_on_finish()
        self.content_length = len(payload)
        self.write(payload)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


class _WaitressServer(TcpWSGIServer):
    channel_class = JsonErrorChannel


class LocalHttpServer:
    """The platform on host:port (port 0: any free port, see `port`), until `shutdown()`."""

    def __init__(
        self, platform: LocalPlatform, host: str, port: int, timeout_seconds: int | None = None
    ) -> None:
        timeout = timeout_seconds or timeout_from_environment()
        limit = platform.territory.max_request_body_bytes
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=HTTP_THREADS,
            channel_timeout=timeout,
            cleanup_interval=max(1, min(timeout // 2, 30)),
            # waitress refuses a body of `max_request_body_size` bytes or more; API Gateway one over the
            # limit. (A chunked body counts its chunk framing too, so one within a few bytes of the limit
            # may be refused.)
            max_request_body_size=limit + 1,
            ident="sas-local",
            clear_untrusted_proxy_headers=False,  # headers reach the handler as sent
            asyncore_use_poll=True,
            log_socket_errors=False,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adjustments.threads)
        self._server = _WaitressServer(_not_ready, dispatcher=dispatcher, adj=adjustments)
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[attr-defined]
        self.timeout_seconds = timeout
        self.cors = local_policy(self.port)
        self._server.application = wsgi_application(platform, self.cors)
        self._stopping = threading.Event()

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=poll_interval, use_poll=True, map=self._server._map, count=1)  # type: ignore[attr-defined]

    def shutdown(self) -> None:
        """Stop serving (from any thread); `server_close()` then releases the port and the threads."""
        self._stopping.set()
        self._server.pull_trigger()

    def server_close(self) -> None:
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._server._map)  # type: ignore[attr-defined]


def wsgi_application(platform: LocalPlatform, cors: CorsPolicy | None) -> Any:
    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = http_request(environ)
        response = dispatch(platform, request, cors)
        headers = [(name, value) for name, value in response.headers.items() if name not in HOP_BY_HOP]
        headers = [(name, value) for name, value in headers if name != "content-length"]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(_status_line(response.status), headers)
        return [b""] if request.method == "HEAD" else [response.body]

    return application


def _not_ready(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "application/json")])
    return [b'{"error": "unavailable", "message": "starting"}']


def make_server(platform: LocalPlatform, host: str, port: int) -> LocalHttpServer:
    """The server for `platform` (OSError when it cannot listen there)."""
    return LocalHttpServer(platform, host, port)


__all__ = ["HTTPStatus", "LocalHttpServer", "TokenRequest", "dispatch", "make_server"]
