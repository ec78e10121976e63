"""The territory's HTTP API: one route per entry of `sas_common.routes.ROUTES`.

Protected routes go through a JWT authorizer trusting Pro Santé Connect (issuer and audience from the
territory file); public routes (`/health`, `/openapi.json`, `/docs`) explicitly have none. The `$default`
stage writes JSON access logs and throttles by default.

Custom domain with mutual TLS (`custom_domain` in the territory file), for the editors' calls. Ops provide,
before deploying:
  - an ACM certificate for `domain_name`, in the stack's region (`certificate_arn`);
  - the truststore: a PEM bundle of the CA certificates allowed to sign the editors' client certificates,
    in an S3 bucket of the same region readable by the deploying role (`truststore_uri` = s3://bucket/key;
    `truststore_version` pins an object version, advised with a versioned bucket);
and after deploying, a DNS CNAME (or alias) from `domain_name` to the `CustomDomainTarget` stack output.
The execute-api endpoint stays enabled for the other clients (regulators, effecteurs), which authenticate
with Pro Santé Connect tokens, not client certificates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import Acknowledgment as Ack
from aws_cdk import CfnOutput, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct
from pydantic import HttpUrl

from infra.constructs import pascal
from infra.constructs.compute import retention_days
from sas_common.capabilities import Capability
from sas_common.routes import ROUTES, Route
from sas_common.territory import CustomDomain, TerritoryConfig

THROTTLE_BURST = 200
THROTTLE_RATE = 100

# One JSON object per request. Route keys (templates), not paths nor query strings: a query carries a
# patient's position, a path an effecteur's identifier.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "principal": "$context.authorizer.claims.sub",
    "clientCertSubject": "$context.identity.clientCert.subjectDN",
}


def jwt_issuer(issuer: HttpUrl) -> str:
    """The issuer as tokens carry it in `iss`: pydantic adds a trailing slash to a URL without a path,
    which an issuer such as `https://idp.example` does not have."""
    text = str(issuer)
    return text[:-1] if issuer.path == "/" and text.endswith("/") else text


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/key.pem` → (`bucket`, `some/key.pem`)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ValueError(f"truststore_uri {uri!r}: expected s3://<bucket>/<key>")
    return bucket, key


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup, format_: apigw.AccessLogFormat) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = format_

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat | None:
        return self._format


class Api(Construct):
    """`http_api` with its `$default` `stage`, JWT `authorizer`, `routes` by route key, and `domain_name`
    when the territory configures one (see the module docstring for what ops provide)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        territory: TerritoryConfig,
        functions: Mapping[Capability, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"sas-{territory.code}",
            description=f"SAS platform — {territory.name}",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            removal_policy=RemovalPolicy.RETAIN,
            retention=retention_days(territory.log_retention_days)[1],
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(burst_limit=THROTTLE_BURST, rate_limit=THROTTLE_RATE),
            access_log_settings=_AccessLogSettings(
                self.access_logs, apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))
            ),
        )
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "ProSanteConnect",
            jwt_issuer(territory.pro_sante_connect.issuer),
            jwt_audience=list(territory.pro_sante_connect.audience),
            authorizer_name="pro-sante-connect",
        )
        self._integrations: dict[Capability, integrations.HttpLambdaIntegration] = {}
        self.routes: dict[str, apigwv2.HttpRoute] = {}
        for route in ROUTES:
            self.routes[route.key] = self._add_route(route, functions[route.capability])

        self.domain_name: apigwv2.DomainName | None = None
        if territory.custom_domain is not None:
            self.domain_name = self._custom_domain(territory.custom_domain)

        url = CfnOutput(self, "Url", value=self.stage.url, description="the HTTP API's execute-api URL")
        url.override_logical_id("ApiUrl")

    def _integration(
        self, capability: Capability, function: lambda_.IFunction
    ) -> integrations.HttpLambdaIntegration:
        if capability not in self._integrations:
            self._integrations[capability] = integrations.HttpLambdaIntegration(
                f"{pascal(capability.value)}Integration", function
            )
        return self._integrations[capability]

    def _add_route(self, route: Route, function: lambda_.IFunction) -> apigwv2.HttpRoute:
        authorizer: apigwv2.IHttpRouteAuthorizer = (
            self.authorizer if route.protected else apigwv2.HttpNoneAuthorizer()
        )
        [added] = self.http_api.add_routes(
            path=route.path,
            methods=[apigwv2.HttpMethod(route.method)],
            integration=self._integration(route.capability, function),
            authorizer=authorizer,
        )
        if not route.protected:
            reason = f"{route.key} is public by design (docs/contract.md): no token is required to call it."
            Validations.of(added).acknowledge(Ack(id="AwsSolutions-APIG4", reason=reason))
        return added

    def _custom_domain(self, config: CustomDomain) -> apigwv2.DomainName:
        bucket_name, key = split_s3_uri(config.truststore_uri)
        domain = apigwv2.DomainName(
            self,
            "CustomDomain",
            domain_name=config.domain_name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
            mtls=apigwv2.MTLSConfig(
                bucket=s3.Bucket.from_bucket_name(self, "Truststore", bucket_name),
                key=key,
                version=config.truststore_version,
            ),
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        apigwv2.ApiMapping(
            self, "CustomDomainMapping", api=self.http_api, domain_name=domain, stage=self.stage
        )
        target = CfnOutput(
            self,
            "CustomDomainTarget",
            value=domain.regional_domain_name,
            description=f"create a DNS CNAME from {config.domain_name} to this name",
        )
        target.override_logical_id("CustomDomainTarget")
        return domain
