"""The national directory (RPPS extract): reading it (`extract`), grouping its lines into effecteurs and
places (`entries`), and importing it into the territory's tables (`importer`, `store`)."""

from __future__ import annotations

from sas_common.directory.extract import COLUMNS, check_header, text_lines
from sas_common.directory.importer import (
    DirectoryImport,
    ImportSummary,
    RejectedLine,
    import_extract,
    import_from_bucket,
)

__all__ = [
    "COLUMNS",
    "DirectoryImport",
    "ImportSummary",
    "RejectedLine",
    "check_header",
    "import_extract",
    "import_from_bucket",
    "text_lines",
]
