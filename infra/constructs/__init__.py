"""Building blocks of a territory stack: storage, common layer, compute, HTTP API, schedules, monitoring."""

from __future__ import annotations

import re


def pascal(name: str) -> str:
    """A construct id from a logical name: `platform_state` → `PlatformState`."""
    return "".join(part.capitalize() for part in re.split(r"[-_\s]+", name) if part)
