"""An editor's mTLS client certificate comes from its Secrets Manager secret (moto), never the repository."""

from __future__ import annotations

import itertools
import json
import ssl
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sas_common.ingest.client import EditorUnavailable, client_certificate, make_client
from sas_common.ingest.poll import poll_batch
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig

pytestmark = pytest.mark.usefixtures("platform")
_ids = itertools.count(1)


def self_signed() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sas-platform-demo")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()


def secret(value: object) -> str:
    name = f"sas/editors/test-{next(_ids)}"
    text = value if isinstance(value, str) else json.dumps(value)
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=text)
    return name


def editor_with(rt: Runtime, secret_name: str) -> EditorConfig:
    demo = rt.territory.editor("demo-editor")
    assert demo is not None
    return demo.model_copy(update={"id": f"mtls-{next(_ids)}", "client_certificate_secret": secret_name})


def test_the_client_presents_the_certificate_of_the_secret(rt: Runtime) -> None:
    certificate, key = self_signed()
    name = secret({"certificate": certificate, "private_key": key})

    context = client_certificate(name)

    assert isinstance(context, ssl.SSLContext)
    assert client_certificate(name) is context  # read once, cached
    with make_client(editor_with(rt, name)) as http:
        assert http.headers["Accept"] == "application/json+fhir"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "cannot read secret"),
        ("not json", "cannot read secret"),
        ({"certificate": "x"}, "must hold 'certificate' and 'private_key'"),
        ({"certificate": "-----BEGIN CERTIFICATE-----\nnope\n", "private_key": "k"}, "no usable certificate"),
        ({"certificate": "é", "private_key": "k"}, "no usable certificate"),
    ],
    ids=["missing", "not-json", "incomplete", "garbage-pem", "not-ascii"],
)
def test_an_unusable_secret_fails_the_batch_with_its_reason_and_touches_nothing(
    rt: Runtime, value: object, reason: str
) -> None:
    name = secret(value) if value is not None else "sas/editors/absent"
    editor = editor_with(rt, name)

    with pytest.raises(EditorUnavailable, match=reason):
        client_certificate(name)
    summary = poll_batch(rt, editor, ["810000000002"], datetime.now(UTC))

    assert summary.error is not None
    assert reason in summary.error
    assert summary.pages == 0
    assert rt.state.load_breaker(editor.id).failures == 1
