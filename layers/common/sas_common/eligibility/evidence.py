"""Indicator 8's evidence for editor-shared weeks, recorded as ingest accepts an editor's slots.

An interfaced effecteur (or an SOS association polled through its editor) meets a week of indicator 8 when
the platform had their editor slots visible that week (no hour quota: sas_common.eligibility.rules). The
manual agenda freezes its weeks' hours (pattern 13); editor slots come and go with every poll, so each
answer that leaves an owner with slots writes `<owner> / WEEK#<YYYY-Www>#EDITOR#<editor id>` for the ISO
week (territory time) it was seen in: a week that never gets one is a week without editor slots, visible as
such (`no_editor_slots`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sas_common.agenda.weekly import iso_week

if TYPE_CHECKING:
    from sas_common.runtime import Runtime


def record_editor_evidence(rt: Runtime, editor_id: str, seen: Mapping[str, int], now: datetime) -> None:
    """`seen`: the owners' partitions (`EFF#…`, `STRUCT#…`) with the slots of this editor they now have."""
    shown = {owner: count for owner, count in seen.items() if count > 0}
    if shown:
        week = iso_week(now.astimezone(rt.territory.zone).date())
        rt.participations.record_editor_weeks(editor_id, week, shown, now)
