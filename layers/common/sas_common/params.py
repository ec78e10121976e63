"""Path and query parameters shared by several routes, declared once with their validation and docs."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from sas_common.identifiers import NATIONAL_ID_PATTERN

NationalIdPath = Annotated[str, Path(pattern=NATIONAL_ID_PATTERN, description="8 + RPPS, or 0 + ADELI")]
PlaceIdPath = Annotated[str, Path(min_length=1, max_length=64, description="a place of practice's id")]
