"""The local HTTP server: `/_local/*` helpers, and every other request through the local gateway."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sas_common.auth import Role
from sas_common.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge
from sas_common.jobs import JOBS
from sas_common.observability import logger
from sas_local.gateway import HttpRequest, HttpResponse, error_response
from sas_local.issuer import TOKEN_LIFETIME_SECONDS
from sas_local.platform import LocalPlatform

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


def dispatch(platform: LocalPlatform, request: HttpRequest) -> HttpResponse:
    try:
        return local_route(platform, request) or platform.handle(request)
    except DomainError as error:
        return error_response(error)
    except Exception:
        # What API Gateway answers when the integration fails; the traceback goes to the console.
        logger.exception("unhandled error", extra={"path": request.path})
        return _json(500, {"error": "internal_error", "message": "Internal Server Error"})


def make_server(platform: LocalPlatform, host: str, port: int) -> ThreadingHTTPServer:
    limit = platform.territory.max_request_body_bytes

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sas-local"

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("content-length") or 0)
            if length > limit:
                self.close_connection = True
                self._send(error_response(PayloadTooLarge(f"the body exceeds {limit} bytes")))
                return
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = HttpRequest(self.command, path, query, headers, body, self.client_address[0])
            self._send(dispatch(platform, request))

        def _send(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name != "content-length":
                    self.send_header(name, value)
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are logged by the handlers, as in production

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


__all__ = ["HTTPStatus", "TokenRequest", "dispatch", "make_server"]
