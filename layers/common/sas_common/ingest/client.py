"""HTTP to an editor's FHIR server: one GET, with timeouts, bounded retries, backoff and jitter.

Retried: 5xx, 429, timeouts and connection errors (up to `MAX_RETRIES` more attempts, exponential backoff
with full jitter); any other answer that is not 2xx fails at once. Every failure is `EditorUnavailable`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx

from sas_common.territory import EditorConfig

ACCEPT = "application/json+fhir"  # as the guide writes it (interop.md)
MAX_RETRIES = 2
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 2.0
MAX_BODY_BYTES = 20 * 1024 * 1024


class EditorUnavailable(Exception):
    """The editor did not give a usable answer; `reason` says why (for the run summary and the logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def backoff_seconds(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform in [0, min(max, base × 2^attempt))."""
    ceiling: float = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return rng() * ceiling


def make_client(editor: EditorConfig, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for one editor. `transport`: httpx.MockTransport in tests.

    TODO(mTLS): in production, when `editor.client_certificate_secret` is set, load the certificate and key
    from that Secrets Manager secret (powertools parameters, cached) and build the transport with
    `httpx.HTTPTransport(verify=..., cert=...)` here; never from the repository.
    """
    timeout = httpx.Timeout(
        editor.read_timeout_seconds,
        connect=editor.connect_timeout_seconds,
        read=editor.read_timeout_seconds,
    )
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        headers={"Accept": ACCEPT},
        follow_redirects=False,
    )


def fetch_bundle(
    editor: EditorConfig,
    url: str,
    *,
    client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The body of a 2xx answer to `GET url`; EditorUnavailable after the retries are spent."""
    own = client is None
    http = client if client is not None else make_client(editor, transport)
    try:
        reason = "no attempt"
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                sleep(backoff_seconds(attempt - 1))
            try:
                response = http.get(url)
            except httpx.TimeoutException as exc:
                reason = f"timeout ({exc.__class__.__name__})"
                continue
            except httpx.TransportError as exc:
                reason = f"connection error ({exc.__class__.__name__})"
                continue
            if response.is_success:
                if len(response.content) > MAX_BODY_BYTES:
                    raise EditorUnavailable(f"answer larger than {MAX_BODY_BYTES} bytes")
                return response.content
            reason = f"HTTP {response.status_code}"
            if not _retryable_status(response.status_code):
                break
        raise EditorUnavailable(reason)
    finally:
        if own:
            http.close()
