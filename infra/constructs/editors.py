"""What the editors of a territory need in the stack: the functions that call editors (the poll worker, and
what sends regulator accounts: the regulator sync worker and the booking API, which sends a removal at once)
may read each editor's mTLS client certificate secret (`client_certificate_secret` in the territory file).
Ops create those secrets — JSON `{"certificate": PEM, "private_key": PEM}` — before the first poll; the stack
never holds their content."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs import pascal
from sas_common.territory import TerritoryConfig


def grant_client_certificates(scope: Construct, territory: TerritoryConfig, *callers: iam.IGrantable) -> None:
    for editor in territory.editors:
        if editor.client_certificate_secret:
            secret = secretsmanager.Secret.from_secret_name_v2(
                scope, f"{pascal(editor.id)}ClientCertificate", editor.client_certificate_secret
            )
            for caller in callers:
                secret.grant_read(caller)
