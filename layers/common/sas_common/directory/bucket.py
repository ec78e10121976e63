"""The import bucket: where extracts too large for the HTTP API are dropped, and their summaries written.

An object put under `imports/` triggers the import (the stack's notification filters on the prefix); its
summary is written as JSON under `summaries/`, outside the trigger's prefix.
"""

from __future__ import annotations

IMPORT_PREFIX = "imports/"
SUMMARY_PREFIX = "summaries/"


def summary_key(extract_key: str) -> str:
    """`imports/2024-05/extract.txt` → `summaries/2024-05/extract.txt.json`."""
    return SUMMARY_PREFIX + extract_key.removeprefix(IMPORT_PREFIX) + ".json"
