"""Territory configuration (`infra/territories/<code>.json`), read by the CDK app and the local runtime.

The keys pinned in docs/contract.md are required; every key added here is optional with a default, so a file
with only the pinned keys runs locally and synthesises. Unknown keys are rejected.
"""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

TERRITORIES_DIR = Path(__file__).resolve().parents[3] / "infra" / "territories"

TERRITORY_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
EDITOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
# Metropolitan departments 01-95 (Corsica as 2A/2B, no 20) and the overseas 971-976.
DEPARTMENT_PATTERN = r"^(0[1-9]|1\d|2[1-9]|2A|2B|[3-8]\d|9[0-5]|97[1-6])$"


class EditorKind(StrEnum):
    PS = "ps"  # individual doctors, flow INT_R01
    CPTS = "cpts"  # CPTS, flow INT_R04
    SOS = "sos"  # SOS Médecins associations


class EditorLevel(IntEnum):
    SLOTS_ONLY = 1
    END_TO_END_BOOKING = 2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EditorConfig(_Strict):
    id: Annotated[str, Field(pattern=EDITOR_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    kind: EditorKind
    level: EditorLevel
    fhir_base_url: HttpUrl
    poll_every_minutes: Annotated[int, Field(ge=1, le=1440)]
    # Optional: where production keeps this editor's mTLS client certificate and key (Secrets Manager name).
    client_certificate_secret: str | None = None
    # Optional: subject DN of the certificate this editor presents to our mTLS custom domain.
    inbound_certificate_subject: str | None = None
    connect_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 3.0
    read_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    # Optional: requests a minute the platform may send this editor, all poll workers together.
    max_requests_per_minute: Annotated[int, Field(ge=1, le=6000)] = 60


class ProSanteConnect(_Strict):
    """The OIDC issuer whose tokens the HTTP API's JWT authorizer accepts."""

    issuer: HttpUrl = HttpUrl("https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet")
    audience: list[str] = Field(default_factory=lambda: ["sas-platform"])


class CustomDomain(_Strict):
    """The mTLS custom domain editors call in production (ops provide certificate and truststore)."""

    domain_name: str
    certificate_arn: str
    truststore_uri: Annotated[str, Field(pattern=r"^s3://")]
    truststore_version: str | None = None


class TerritoryConfig(_Strict):
    code: Annotated[str, Field(pattern=TERRITORY_CODE_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    timezone: str
    departments: Annotated[list[Annotated[str, Field(pattern=DEPARTMENT_PATTERN)]], Field(min_length=1)]
    editors: list[EditorConfig]
    pro_sante_connect: ProSanteConnect = ProSanteConnect()
    custom_domain: CustomDomain | None = None
    alarm_email: str | None = None
    log_retention_days: Annotated[int, Field(ge=1)] = 90
    max_request_body_bytes: Annotated[int, Field(ge=1024, le=6 * 1024 * 1024)] = 6 * 1024 * 1024
    # How long a phone booking holds its slot while the regulator calls the doctor (then it expires).
    phone_confirmation_minutes: Annotated[int, Field(ge=1, le=120)] = 15

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("editors")
    @classmethod
    def _unique_editor_ids(cls, editors: list[EditorConfig]) -> list[EditorConfig]:
        ids = [editor.id for editor in editors]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate editor id(s): {', '.join(duplicates)}")
        return editors

    @property
    def phone_confirmation_seconds(self) -> int:
        return 60 * self.phone_confirmation_minutes

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def environment_json(self) -> str:
        """The territory as functions receive it: keys left at their default are omitted (Lambda's 4 KB
        environment holds a dozen editors that way) and come back when it is parsed."""
        return self.model_dump_json(exclude_defaults=True)

    def editor(self, editor_id: str) -> EditorConfig | None:
        return next((editor for editor in self.editors if editor.id == editor_id), None)


class TerritoryConfigError(ValueError):
    """A territory file that cannot be used; the message names the file and the offending key."""


def _describe(error: ValidationError, source: str) -> str:
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(root)"
        if item["type"] == "missing":
            problems.append(f"missing required key '{key}'")
        elif item["type"] == "extra_forbidden":
            problems.append(f"unknown key '{key}'")
        else:
            problems.append(f"key '{key}': {item['msg']}")
    return f"{source}: " + "; ".join(problems)


def parse_territory(text: str, source: str) -> TerritoryConfig:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TerritoryConfigError(f"{source}: not valid JSON: {exc}") from exc
    try:
        return TerritoryConfig.model_validate(raw)
    except ValidationError as exc:
        raise TerritoryConfigError(_describe(exc, source)) from exc


def load_territory(path: Path) -> TerritoryConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TerritoryConfigError(f"{path}: cannot read territory file: {exc.strerror}") from exc
    return parse_territory(text, str(path))


def territory_path(code: str) -> Path:
    return TERRITORIES_DIR / f"{code}.json"
