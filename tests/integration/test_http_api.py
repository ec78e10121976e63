"""The spine end to end on the local platform: public routes, tokens, roles, errors."""

from __future__ import annotations

import pytest

from sas_local.issuer import LocalIssuer
from support import Client

MARTIN = "810000000001"
BERNARD = "810000000002"


def test_health_is_public(client: Client) -> None:
    response = client.get("/health")
    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_openapi_lists_every_route(client: Client) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/effecteurs/{national_id}" in document["paths"]
    assert "/health" in document["paths"]


def test_swagger_ui_is_served_without_network(client: Client) -> None:
    response = client.get("/docs")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert b"SwaggerUIBundle" in response.body
    assert b"https://" not in response.body.split(b"<script>")[0]  # assets are inline, not fetched


def test_a_regulator_reads_a_card(client: Client) -> None:
    response = client.get(f"/effecteurs/{MARTIN}", token=client.token("regulator", "reg-1"))
    assert response.status == 200
    card = response.json()
    assert card["national_id"] == MARTIN
    assert card["last_name"] == "MARTIN"
    assert {place["id"] for place in card["places"]} >= {"p1"}


def test_an_effecteur_reads_their_own_card_but_not_another(client: Client) -> None:
    token = client.token("effecteur", MARTIN)
    assert client.get(f"/effecteurs/{MARTIN}", token=token).status == 200
    refused = client.get(f"/effecteurs/{BERNARD}", token=token)
    assert refused.status == 403
    assert refused.json()["error"] == "forbidden"


def test_a_wrong_role_is_403_with_a_json_body(client: Client) -> None:
    response = client.get(
        f"/effecteurs/{MARTIN}", token=client.token("editor", "c-1", editor_id="demo-editor")
    )
    assert response.status == 403
    assert response.headers["content-type"] == "application/json"
    assert "role 'editor'" in response.json()["message"]


def test_no_token_is_401(client: Client) -> None:
    response = client.get(f"/effecteurs/{MARTIN}")
    assert response.status == 401
    assert response.json()["error"] == "unauthenticated"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Basic dXNlcjpwYXNz", "bearer token is required"),
        ("Bearer not-a-jwt", "not valid"),
    ],
)
def test_malformed_authorization_is_401(client: Client, authorization: str, message: str) -> None:
    response = client.get(f"/effecteurs/{MARTIN}", headers={"authorization": authorization})
    assert response.status == 401
    assert message in response.json()["message"]


def test_an_expired_token_is_401(client: Client) -> None:
    expired = client.platform.issuer.mint(role="regulator", sub="r", lifetime_seconds=-120)
    response = client.get(f"/effecteurs/{MARTIN}", token=expired)
    assert response.status == 401
    assert "expired" in response.json()["message"]


def test_a_forged_token_is_401(client: Client) -> None:
    forged = LocalIssuer().mint(role="territory_admin", sub="mallory")  # same claims, another key
    response = client.get(f"/effecteurs/{MARTIN}", token=forged)
    assert response.status == 401
    assert "signature" in response.json()["message"].lower()


def test_a_token_for_another_audience_is_401(client: Client) -> None:
    other = LocalIssuer(audience="another-api")
    other._key = client.platform.issuer._key  # same key and issuer, wrong audience
    response = client.get(f"/effecteurs/{MARTIN}", token=other.mint(role="regulator", sub="r"))
    assert response.status == 401
    assert "audience" in response.json()["message"].lower()


def test_unknown_route_is_404_json(client: Client) -> None:
    response = client.get("/nowhere")
    assert response.status == 404
    assert response.json() == {"error": "not_found", "message": "no route GET /nowhere"}


def test_unknown_effecteur_is_404_naming_it(client: Client) -> None:
    response = client.get("/effecteurs/819999999999", token=client.token("regulator", "r"))
    assert response.status == 404
    assert response.json()["field"] == "national_id"


def test_a_malformed_national_id_is_422_naming_the_field(client: Client) -> None:
    response = client.get("/effecteurs/12345", token=client.token("regulator", "r"))
    assert response.status == 422
    assert response.json()["field"] == "national_id"


def test_an_oversized_body_is_413(client: Client) -> None:
    limit = client.platform.territory.max_request_body_bytes
    response = client.request(
        "GET", "/health", body=b"x" * (limit + 1), headers={"content-type": "text/plain"}
    )
    assert response.status == 413
    assert response.json()["error"] == "payload_too_large"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"role": "regulator"', 400, "not valid JSON"),
        (b'{"role": "surgeon", "sub": "x"}', 400, "role"),
        (b'{"sub": "x"}', 400, "role: Field required"),
    ],
)
def test_local_token_requests_are_validated(client: Client, body: bytes, status: int, message: str) -> None:
    response = client.post("/_local/token", body=body, headers={"content-type": "application/json"})
    assert response.status == status
    assert message in response.json()["message"]


def test_unknown_job_is_404_listing_the_jobs(client: Client) -> None:
    response = client.post("/_local/jobs/nothing")
    assert response.status == 404
    assert "expire-slots" in response.json()["message"]
