"""Every router of the agenda capability: effecteurs' directory, participation, manual agenda."""

from __future__ import annotations

from agenda import card, participation, people

ROUTERS = (
    card.router,
    participation.router,
    people.router,
)
