"""HTTP to an editor's FHIR server: one GET, with timeouts, bounded retries, backoff and jitter.

Retried: 5xx, 429, timeouts and connection errors (up to `MAX_RETRIES` more attempts, exponential backoff
with full jitter); any other answer that is not 2xx fails at once. Every failure is `EditorUnavailable`.

mTLS: when the territory file names a `client_certificate_secret` for the editor, the client presents the
certificate and key kept in that Secrets Manager secret (JSON `{"certificate": PEM, "private_key": PEM}`,
the certificate possibly followed by its chain), read through powertools parameters and cached for
`CERTIFICATE_CACHE_SECONDS`, so a rotated certificate is picked up without a deployment. Nothing of it
is in the repository or the environment.
"""

from __future__ import annotations

import hashlib
import os
import random
import ssl
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache

import httpx
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError

from sas_common.territory import EditorConfig

ACCEPT = "application/json+fhir"  # as the guide writes it (docs/interop.md)
FHIR_JSON = "application/fhir+json"
MAX_RETRIES = 2
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 2.0
MAX_BODY_BYTES = 20 * 1024 * 1024
CERTIFICATE_CACHE_SECONDS = 300


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


def client_certificate(secret_name: str) -> ssl.SSLContext:
    """A TLS context presenting the certificate kept in the secret; EditorUnavailable when it is unusable."""
    try:
        secret = parameters.get_secret(secret_name, transform="json", max_age=CERTIFICATE_CACHE_SECONDS)
    except (GetParameterError, TransformParameterError) as exc:
        raise EditorUnavailable(f"client certificate: cannot read secret {secret_name!r}") from exc
    if not isinstance(secret, dict) or not all(
        isinstance(secret.get(key), str) for key in ("certificate", "private_key")
    ):
        raise EditorUnavailable(
            f"client certificate: secret {secret_name!r} must hold 'certificate' and 'private_key' (PEM)"
        )
    return _tls_context(secret["certificate"], secret["private_key"], secret_name)


@lru_cache(maxsize=16)
def _tls_context(certificate: str, private_key: str, secret_name: str) -> ssl.SSLContext:
    """One context per certificate content (a rotation makes a new one). `ssl` reads PEM from files only:
    they are written to a private temporary directory and removed once loaded."""
    context = ssl.create_default_context()
    with tempfile.TemporaryDirectory(prefix="sas-mtls-") as directory:
        name = hashlib.sha256(certificate.encode()).hexdigest()[:16]
        paths = [os.path.join(directory, f"{name}.{part}.pem") for part in ("crt", "key")]
        try:
            for path, content in zip(paths, (certificate, private_key), strict=True):
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w", encoding="ascii") as pem:
                    pem.write(content)
            context.load_cert_chain(paths[0], paths[1])
        except (ssl.SSLError, ValueError) as exc:  # ValueError: not ASCII, so not PEM
            raise EditorUnavailable(
                f"client certificate: secret {secret_name!r} holds no usable certificate and key"
            ) from exc
    return context


def make_client(editor: EditorConfig, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for one editor, presenting its client certificate when it has one (module doc).
    `transport`: httpx.MockTransport in tests."""
    timeout = httpx.Timeout(
        editor.read_timeout_seconds,
        connect=editor.connect_timeout_seconds,
        read=editor.read_timeout_seconds,
    )
    verify: ssl.SSLContext | bool = True
    if editor.client_certificate_secret:
        verify = client_certificate(editor.client_certificate_secret)
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        verify=verify,
        headers={"Accept": ACCEPT},
        follow_redirects=False,
    )


def _attempt(http: httpx.Client, url: str) -> tuple[bytes | None, str, bool]:
    """One GET: (the body of a 2xx answer, else None; why not; whether another attempt may help)."""
    try:
        response = http.get(url)
    except httpx.TimeoutException as exc:
        return None, f"timeout ({exc.__class__.__name__})", True
    except httpx.TransportError as exc:
        return None, f"connection error ({exc.__class__.__name__})", True
    if not response.is_success:
        return None, f"HTTP {response.status_code}", _retryable_status(response.status_code)
    if len(response.content) > MAX_BODY_BYTES:
        raise EditorUnavailable(f"answer larger than {MAX_BODY_BYTES} bytes")
    return response.content, "", False


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
            body, reason, retry = _attempt(http, url)
            if body is not None:
                return body
            if not retry:
                break
        raise EditorUnavailable(reason)
    finally:
        if own:
            http.close()


def post_resource(
    editor: EditorConfig, url: str, resource: dict[str, object], transport: httpx.BaseTransport | None = None
) -> httpx.Response:
    """One POST of a FHIR resource to the editor, with its timeouts and client certificate; no retry here
    (the booking's state machine retries). httpx's errors propagate (timeouts, connection errors)."""
    with make_client(editor, transport) as http:
        return http.post(url, json=resource, headers={"Content-Type": FHIR_JSON})
