"""What API Gateway does in production, done locally: route matching, JWT verification, the HTTP API v2
event, and the call to the same handler the stack deploys."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from sas_common.errors import DomainError, NotFound, PayloadTooLarge, Unauthenticated
from sas_common.routes import match
from sas_local.functions import function_name
from sas_local.issuer import LocalIssuer

# Runs a function by name with an event, returns its result (`sas_local.functions.Invoker.invoke`).
Invoke = Callable[[str, Any], Any]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as sent, percent-encoded
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def error_response(error: DomainError) -> HttpResponse:
    return HttpResponse(
        int(error.status), {"content-type": "application/json"}, json.dumps(error.body()).encode()
    )


class LocalGateway:
    """API Gateway's part of a request: the route (on the decoded path, as the HTTP API matches it), the body
    limit, the JWT, the v2 event, and the capability's function invoked with it."""

    def __init__(self, issuer: LocalIssuer, max_body_bytes: int, invoke: Invoke) -> None:
        self.issuer = issuer
        self.max_body_bytes = max_body_bytes
        self._invoke = invoke

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            return self._handle(request)
        except DomainError as error:
            return error_response(error)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        path = decoded_path(request.path)
        found = match(request.method, path)
        if found is None:
            # Any other method on a known path too: the HTTP API has no route for it.
            raise NotFound(f"no route {request.method} {path}")
        route, path_parameters = found
        if len(request.body) > self.max_body_bytes:
            raise PayloadTooLarge(f"the body exceeds {self.max_body_bytes} bytes")
        claims = self._claims(request) if route.protected else None
        event = api_gateway_event(request, route.key, path_parameters, claims)
        return _response(self._invoke(function_name(route.capability), event))

    def _claims(self, request: HttpRequest) -> dict[str, Any]:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
        return self.issuer.verify(token.strip())


def decoded_path(path: str) -> str:
    """The path as the HTTP API hands it over (`rawPath`) and matches its routes: percent-decoded (UTF-8;
    an invalid sequence becomes U+FFFD), so path parameters arrive decoded."""
    return unquote(path, errors="replace")


def api_gateway_event(
    request: HttpRequest, route_key: str, path_parameters: dict[str, str], claims: dict[str, Any] | None
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event, as API Gateway sends it to the Lambda integration."""
    now = time.time()
    path = decoded_path(request.path)
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    text = _text(request.body, request.headers.get("content-type", ""))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.query,
        "headers": dict(request.headers),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": text is None and bool(request.body),
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {name: str(value) for name, value in claims.items()}, "scopes": None}
        }
    return event


def _text(body: bytes, content_type: str) -> str | None:
    """The body as text when API Gateway passes it as text: a textual media type and valid UTF-8. Anything
    else — a binary type, or bytes that are not UTF-8 whatever the type says — goes base64-encoded
    (`isBase64Encoded: true`)."""
    if not _is_text(content_type):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return (
        not kind
        or kind.startswith("text/")
        or kind.endswith(("json", "+json", "xml", "x-www-form-urlencoded"))
    )


def _response(result: dict[str, Any]) -> HttpResponse:
    headers = {name.lower(): str(value) for name, value in (result.get("headers") or {}).items()}
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return HttpResponse(int(result.get("statusCode", 200)), headers, body)
