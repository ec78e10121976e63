"""The platform's Lambda functions: one per capability, each a package under `functions/`.

The CDK stack deploys `functions/<capability>/` with the handler `<capability>.handler.<entrypoint>`;
the local runtime imports the very same module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    META = "meta"  # /health, /openapi.json, /docs (not "platform": that is a stdlib module)
    INGEST = "ingest"
    SEARCH = "search"
    BOOKING = "booking"
    AGENDA = "agenda"
    ELIGIBILITY = "eligibility"


API_ENTRYPOINT = "lambda_handler"


@dataclass(frozen=True)
class FunctionSpec:
    capability: Capability
    description: str
    memory_mb: int = 512
    timeout_seconds: int = 29  # the HTTP API's integration timeout

    @property
    def module(self) -> str:
        return f"{self.capability.value}.handler"

    def handler(self, entrypoint: str = API_ENTRYPOINT) -> str:
        return f"{self.module}.{entrypoint}"


FUNCTIONS: dict[Capability, FunctionSpec] = {
    spec.capability: spec
    for spec in (
        FunctionSpec(Capability.META, "health and API documentation", memory_mb=256, timeout_seconds=10),
        FunctionSpec(
            Capability.INGEST,
            "editor slots: polling, push, appointment records, expiry",
            memory_mb=1024,
            timeout_seconds=120,
        ),
        FunctionSpec(Capability.SEARCH, "slot search and en-sus directory", memory_mb=1024),
        FunctionSpec(Capability.BOOKING, "bookings and the phone-callback flow"),
        FunctionSpec(
            Capability.AGENDA, "effecteurs: directory, participation, manual agenda", timeout_seconds=29
        ),
        FunctionSpec(Capability.ELIGIBILITY, "avenant 9 indicators"),
    )
}
