"""Every HTTP route of the platform, defined once.

The CDK stack creates one HTTP API route per entry (with the JWT authorizer when `action` is set), the
local runtime dispatches on the same table, and each capability's resolver registers its handlers against
these constants (a test checks both sides agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sas_common.auth import Action
from sas_common.capabilities import Capability

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /effecteurs/{national_id}
    capability: Capability
    action: Action | None  # None: public, no token
    summary: str

    @property
    def key(self) -> str:
        """API Gateway's routeKey, which the event carries in `requestContext.routeKey`."""
        return f"{self.method} {self.path}"

    @property
    def resolver_path(self) -> str:
        """The same path in the powertools resolver's syntax (`<national_id>`)."""
        return _PARAM.sub(r"<\1>", self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        segments = [
            f"(?P<{m.group(1)}>[^/]+)" if (m := _PARAM.fullmatch(segment)) else re.escape(segment)
            for segment in self.path.split("/")
        ]
        return re.compile("^" + "/".join(segments) + "$")

    @property
    def protected(self) -> bool:
        return self.action is not None

    @property
    def action_required(self) -> Action:
        if self.action is None:
            raise ValueError(f"{self.key} is a public route")
        return self.action


HEALTH = Route("GET", "/health", Capability.META, None, "liveness")
OPENAPI = Route("GET", "/openapi.json", Capability.META, None, "OpenAPI 3 document of every route")
DOCS = Route("GET", "/docs", Capability.META, None, "Swagger UI")
EFFECTEUR_CARD = Route(
    "GET", "/effecteurs/{national_id}", Capability.AGENDA, Action.READ_CARD, "the effecteur's card"
)

ROUTES: tuple[Route, ...] = (HEALTH, OPENAPI, DOCS, EFFECTEUR_CARD)
ROUTES_BY_KEY: dict[str, Route] = {route.key: route for route in ROUTES}


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving (method, path) and its path parameters, or None."""
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
    return None
