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
        # Eligibility: one full vCPU (1,769 MB) — an export is bound by botocore's CPU per request — and the
        # time its job needs for a territory's quarter (the HTTP API cuts its requests at 29 s anyway).
        FunctionSpec(
            Capability.ELIGIBILITY,
            "avenant 9: indicators, regulators' shifts, exports",
            memory_mb=1769,
            timeout_seconds=300,
        ),
    )
}


@dataclass(frozen=True)
class StepsFunction:
    """A state machine's task function: a capability's code at another entry point (infra/constructs/)."""

    label: str
    spec: FunctionSpec
    entrypoint: str


# The booking flow's steps (infra/constructs/booking.py; sas_common.booking.service.run_step).
BOOKING_STEPS = StepsFunction("booking-steps", FUNCTIONS[Capability.BOOKING], "booking_steps_handler")
STEPS_FUNCTIONS: tuple[StepsFunction, ...] = (BOOKING_STEPS,)
