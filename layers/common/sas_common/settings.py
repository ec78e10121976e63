"""Environment of every Lambda, validated at cold start: a missing variable fails loudly at import."""

from __future__ import annotations

import os
from functools import cached_property

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sas_common.queues import QUEUES, QueueDef
from sas_common.tables import TABLES, TableDef
from sas_common.territory import TerritoryConfig, parse_territory

# The territory file's content, as the stack (or the local runtime) passes it to every function.
TERRITORY_ENV = "SAS_TERRITORY"
BOOKING_STATE_MACHINE_ENV = "SAS_BOOKING_STATE_MACHINE"
PATIENT_CONTACT_KEY_ENV = "SAS_PATIENT_CONTACT_KEY"
EXPORT_BUCKET_ENV = "SAS_EXPORT_BUCKET"  # eligibility exports (Settings.export_bucket)
# Powertools' service name and metrics namespace: every metric carries the dimension `service`.
SERVICE_NAME = "sas-platform"
METRICS_NAMESPACE = "SASPlatform"


class SettingsError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAS_", extra="ignore", frozen=True)

    territory_json: str = Field(validation_alias=TERRITORY_ENV)
    # "aws" in a deployed stack, "local" under the local runtime (only changes what is logged).
    stage: str = "aws"
    # The booking flow's state machine (the booking API function only) and the territory's KMS key that
    # seals patients' contact details (the functions that seal or open them only).
    booking_state_machine: str | None = None
    patient_contact_key: str | None = None
    # The territory's bucket the eligibility exports are written to (the export job's function only).
    export_bucket: str | None = None

    @cached_property
    def territory(self) -> TerritoryConfig:
        return parse_territory(self.territory_json, f"${TERRITORY_ENV}")

    def table_name(self, table: TableDef) -> str:
        return os.environ[table.env_var]

    def queue_url(self, queue: QueueDef) -> str:
        return os.environ[queue.env_var]

    @classmethod
    def from_environment(cls) -> Settings:
        """The function's settings, read and checked now (at cold start): a missing variable or a bad
        territory fails here, loudly, not at the first request."""
        required = [table.env_var for table in TABLES] + [queue.env_var for queue in QUEUES]
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
        try:
            settings = cls()  # filled from the environment
        except ValidationError as exc:
            raise SettingsError(f"invalid environment: {exc}") from exc
        settings.territory  # noqa: B018 - parse the territory now
        return settings


def function_environment(
    territory_json: str, table_names: dict[str, str], queue_urls: dict[str, str]
) -> dict[str, str]:
    """The environment the stack and the local runtime give every function (one definition)."""
    env = {
        TERRITORY_ENV: territory_json,
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
    }
    env.update({table.env_var: table_names[table.logical_name] for table in TABLES})
    env.update({queue.env_var: queue_urls[queue.logical_name] for queue in QUEUES})
    return env
