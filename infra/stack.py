"""The stack of one territory: `Sas-<code>`."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from constructs import Construct

from infra.constructs.api import Api
from infra.constructs.booking import BookingFlow
from infra.constructs.compute import Compute
from infra.constructs.directory import DirectoryImports
from infra.constructs.editors import grant_client_certificates
from infra.constructs.exports import grant_exports
from infra.constructs.layer import CommonLayer
from infra.constructs.monitoring import Monitoring
from infra.constructs.queues import Queues
from infra.constructs.schedules import Schedules
from infra.constructs.storage import Tables
from sas_common.capabilities import Capability
from sas_common.geocoding import BAN, GEOCODER_ENV
from sas_common.jobs import EXPORT_ELIGIBILITY
from sas_common.queues import EDITOR_POLLS, REGULATOR_SYNC
from sas_common.territory import TerritoryConfig


def stack_name(code: str) -> str:
    return f"Sas-{code}"


class TerritoryStack(Stack):
    """Tables, common layer, functions, HTTP API, schedules and alarms of one territory."""

    def __init__(self, scope: Construct, territory: TerritoryConfig, **kwargs: Any) -> None:
        tags = {"territory": territory.code, "application": "sas-platform"}
        super().__init__(
            scope,
            stack_name(territory.code),
            description=f"SAS platform — {territory.name}",
            tags=tags,
            **kwargs,
        )
        for key, value in tags.items():
            Tags.of(self).add(key, value)
        self.territory = territory
        self.storage = Tables(self, "Tables")
        self.queues = Queues(self, "Queues")
        self.layer = CommonLayer(self, "CommonLayer")
        self.compute = Compute(
            self,
            "Functions",
            territory=territory,
            tables=self.storage,
            queues=self.queues,
            layer=self.layer.layer,
        )
        self.api = Api(self, "Api", territory=territory, functions=self.compute.functions)
        self.directory = DirectoryImports(self, "Directory", compute=self.compute)
        self.schedules = Schedules(
            self, "Schedules", territory=territory, compute=self.compute, queues=self.queues
        )
        self.consumers = self.queues.add_consumers(self.compute)
        # Regulator accounts (INT_R02): the booking API queues them (and sends a removal at once), the
        # regulator sync worker sends them; both call editors, as the poll worker does.
        booking_api = self.compute.functions[Capability.BOOKING]
        self.queues.queues[REGULATOR_SYNC.logical_name].grant_send_messages(booking_api)
        grant_client_certificates(
            self,
            territory,
            self.consumers[EDITOR_POLLS.logical_name],
            self.consumers[REGULATOR_SYNC.logical_name],
            booking_api,
        )
        # Eligibility: the export job writes the CSV exports under exports/ of the territory's bucket.
        grant_exports(self.directory.bucket, self.schedules.functions[EXPORT_ELIGIBILITY.name])
        # Every function that geocodes — directory imports, places editors make known — asks the BAN.
        for geocoding in (
            self.directory.function,
            self.compute.functions[Capability.AGENDA],
            self.compute.functions[Capability.INGEST],
            self.consumers[EDITOR_POLLS.logical_name],
        ):
            geocoding.add_environment(GEOCODER_ENV, BAN)
        self.booking = BookingFlow(
            self, "Booking", compute=self.compute, log_retention=self.compute.retention
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            territory=territory,
            functions=self.compute.all_functions,
            http_api=self.api.http_api,
            dead_letter_queues=self.queues.dead_letters,
        )
