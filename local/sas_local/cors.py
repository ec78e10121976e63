"""Cross-origin (CORS) requests: which browser origins may call the API, with which methods and headers.

One definition, `CorsPolicy`, written as the HTTP API's CORS configuration reads (allowed origins, methods,
headers, max age) and as API Gateway applies it: it answers every preflight itself (`OPTIONS` with `Origin`
and `Access-Control-Request-Method`, on any path, before any route or authorizer) and adds
`Access-Control-Allow-Origin` to the answers to an allowed origin. The local server applies it; the
stack's `HttpApi(cors_preflight=...)` is meant to be built from the same policy once the web console has
its origins (the module imports nothing but the route table, so it can move to the layer as is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sas_common.routes import ROUTES

# What a browser client of the platform sends beyond the CORS-safelisted headers.
ALLOWED_HEADERS = ("authorization", "content-type", "idempotency-key")
MAX_AGE_SECONDS = 600


def route_methods() -> tuple[str, ...]:
    return tuple(sorted({route.method for route in ROUTES}))


@dataclass(frozen=True)
class CorsPolicy:
    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...] = field(default_factory=route_methods)
    allowed_headers: tuple[str, ...] = ALLOWED_HEADERS
    max_age_seconds: int = MAX_AGE_SECONDS

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.allowed_origins

    @staticmethod
    def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
        """A browser's preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method` (lower-case
        header names)."""
        return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers

    def preflight_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The answer's headers (status 204): the allowances for an allowed origin, none for another (the
        browser then refuses the call), as API Gateway answers."""
        if not self.allows(headers.get("origin")):
            return {"vary": "origin"}
        return {
            "access-control-allow-origin": headers["origin"],
            "access-control-allow-methods": ",".join(self.allowed_methods),
            "access-control-allow-headers": ",".join(self.allowed_headers),
            "access-control-max-age": str(self.max_age_seconds),
            "vary": "origin",
        }

    def response_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Added to an ordinary answer to an allowed origin."""
        origin = headers.get("origin")
        if not self.allows(origin):
            return {}
        return {"access-control-allow-origin": str(origin), "vary": "origin"}


def local_policy(port: int) -> CorsPolicy:
    """The local server's: for now, pages served by the local server itself (its own origin)."""
    return CorsPolicy(allowed_origins=(f"http://127.0.0.1:{port}",))
