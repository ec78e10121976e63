"""What API Gateway does in production, done locally: route matching, JWT verification, the HTTP API v2
event, and the call to the same handler the stack deploys."""

from __future__ import annotations

import base64
import importlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from sas_common.capabilities import FUNCTIONS, Capability
from sas_common.errors import DomainError, NotFound, PayloadTooLarge, Unauthenticated
from sas_common.routes import match
from sas_local.issuer import LocalIssuer
from sas_local.lambdas import LambdaContext


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
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
    def __init__(self, issuer: LocalIssuer, max_body_bytes: int) -> None:
        self.issuer = issuer
        self.max_body_bytes = max_body_bytes
        self._modules: dict[Capability, ModuleType] = {}
        # One request at a time per function, as one Lambda instance serves one event at a time (the
        # resolver keeps the current event on its module-level app).
        self._locks = {capability: threading.Lock() for capability in FUNCTIONS}

    def handler_module(self, capability: Capability) -> ModuleType:
        if capability not in self._modules:
            self._modules[capability] = importlib.import_module(FUNCTIONS[capability].module)
        return self._modules[capability]

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            return self._handle(request)
        except DomainError as error:
            return error_response(error)

    def _handle(self, request: HttpRequest) -> HttpResponse:
        found = match(request.method, request.path)
        if found is None:
            raise NotFound(f"no route {request.method} {request.path}")
        route, path_parameters = found
        if len(request.body) > self.max_body_bytes:
            raise PayloadTooLarge(f"the body exceeds {self.max_body_bytes} bytes")
        claims = self._claims(request) if route.protected else None
        event = api_gateway_event(request, route.key, path_parameters, claims)
        module = self.handler_module(route.capability)
        spec = FUNCTIONS[route.capability]
        context = LambdaContext(spec.capability.value, spec.memory_mb, spec.timeout_seconds)
        with self._locks[route.capability]:
            result = module.lambda_handler(event, context)
        return _response(result)

    def _claims(self, request: HttpRequest) -> dict[str, Any]:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
        return self.issuer.verify(token.strip())


def api_gateway_event(
    request: HttpRequest, route_key: str, path_parameters: dict[str, str], claims: dict[str, Any] | None
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event, as API Gateway sends it to the Lambda integration."""
    now = time.time()
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    text_body = _is_text(request.headers.get("content-type", ""))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": dict(request.headers),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
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
        "isBase64Encoded": not text_body and bool(request.body),
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        event["body"] = request.body.decode() if text_body else base64.b64encode(request.body).decode()
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {name: str(value) for name, value in claims.items()}, "scopes": None}
        }
    return event


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
