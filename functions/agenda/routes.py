"""Every router of the agenda capability: effecteurs' directory, participation, manual agenda."""

from __future__ import annotations

from agenda import availability, card, directory, participation, people

ROUTERS = (card.router, participation.router, people.router, availability.router, directory.router)
