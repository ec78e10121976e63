"""What a function instance holds from its cold start: its settings, its AWS clients, the stores on them.

A Lambda entry point makes one `Runtime` when its module is loaded (`sas_common.api.http_function`,
`sas_common.entrypoints.job_function`), and every invocation it serves uses that one, as AWS reuses an
instance between events. The use cases receive it as their first argument; nothing else in the layer keeps
process-wide clients or settings, so the local runtime and the tests make a runtime per function (or per
test) instead of resetting caches.

Clients and stores are made at their first use: a function that never touches a table never pays for it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sas_common.settings import Settings
from sas_common.tables import (
    EFFECTEURS,
    IDEMPOTENCY,
    ORIENTATIONS,
    PARTICIPATIONS,
    PLATFORM_STATE,
    SLOTS,
)

if TYPE_CHECKING:
    from sas_common.geocoding import CachedGeocoder
    from sas_common.stores.clients import AwsClients
    from sas_common.stores.effecteurs import EffecteurStore
    from sas_common.stores.exports import ExportBucket
    from sas_common.stores.idempotency import IdempotencyStore
    from sas_common.stores.import_bucket import ImportBucket
    from sas_common.stores.orientations import OrientationStore
    from sas_common.stores.participations import ParticipationStore
    from sas_common.stores.platform_state import PlatformStateStore
    from sas_common.stores.queues import QueueSender
    from sas_common.stores.regulation import RegulationStore
    from sas_common.stores.sealer import ContactSealer
    from sas_common.stores.slots import SlotStore
    from sas_common.stores.workflows import WorkflowStore
    from sas_common.territory import TerritoryConfig

# Stores and clients are imported when first used (below): boto3 alone takes a good part of a cold start,
# and a function such as `meta` never needs it.


class Runtime:
    def __init__(self, settings: Settings, aws: AwsClients | None = None) -> None:
        self.settings = settings
        if aws is not None:
            self.aws = aws

    @classmethod
    def from_environment(cls) -> Runtime:
        """The runtime of the function this process runs, its environment checked now (at cold start)."""
        return cls(Settings.from_environment())

    @property
    def territory(self) -> TerritoryConfig:
        return self.settings.territory

    @cached_property
    def aws(self) -> AwsClients:
        from sas_common.stores.clients import AwsClients

        return AwsClients()

    @cached_property
    def effecteurs(self) -> EffecteurStore:
        from sas_common.stores.effecteurs import EffecteurStore

        return EffecteurStore(self.aws, self.settings.table_name(EFFECTEURS))

    @cached_property
    def slots(self) -> SlotStore:
        from sas_common.stores.slots import SlotStore

        return SlotStore(self.aws, self.settings.table_name(SLOTS), self.territory.zone)

    @cached_property
    def participations(self) -> ParticipationStore:
        from sas_common.stores.participations import ParticipationStore

        return ParticipationStore(self.aws, self.settings.table_name(PARTICIPATIONS))

    @cached_property
    def orientations(self) -> OrientationStore:
        from sas_common.stores.orientations import OrientationStore

        return OrientationStore(self.aws, self.settings.table_name(ORIENTATIONS))

    @cached_property
    def state(self) -> PlatformStateStore:
        from sas_common.stores.platform_state import PlatformStateStore

        return PlatformStateStore(self.aws, self.settings.table_name(PLATFORM_STATE))

    @cached_property
    def queues(self) -> QueueSender:
        from sas_common.stores.queues import QueueSender

        return QueueSender(self.aws, self.settings.queue_url)

    @cached_property
    def import_bucket(self) -> ImportBucket:
        from sas_common.stores.import_bucket import ImportBucket

        return ImportBucket(self.aws)

    @cached_property
    def geocoder(self) -> CachedGeocoder:
        """The territory's geocoder (`SAS_GEOCODER`); its cache serves every invocation of the function."""
        from sas_common.geocoding import geocoder_from_environment

        return geocoder_from_environment()

    @cached_property
    def workflows(self) -> WorkflowStore:
        from sas_common.stores.workflows import WorkflowStore

        return WorkflowStore(self.aws, self.settings.booking_state_machine)

    @cached_property
    def sealer(self) -> ContactSealer:
        from sas_common.stores.sealer import ContactSealer

        return ContactSealer(self.aws, self.settings.patient_contact_key)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        from sas_common.stores.idempotency import IdempotencyStore

        return IdempotencyStore(self.aws, self.settings.table_name(IDEMPOTENCY))

    # --- eligibility --------------------------------------------------------------------------------------

    @cached_property
    def regulation(self) -> RegulationStore:
        """Regulators' shifts and months (eligibility), their accounts and editors' sync states (INT_R02)."""
        from sas_common.stores.regulation import RegulationStore
        from sas_common.tables import REGULATION

        return RegulationStore(self.aws, self.settings.table_name(REGULATION))

    @cached_property
    def exports(self) -> ExportBucket:
        """The territory's bucket, `exports/` (the export job's function only has it: `SAS_EXPORT_BUCKET`)."""
        from sas_common.stores.exports import ExportBucket

        return ExportBucket(self.aws, self.settings.export_bucket)
