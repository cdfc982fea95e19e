"""What the service's tests expect of every answer: cards that keep the CDS Hooks invariants, or a
problem body without a traceback."""

from __future__ import annotations

from typing import Any

import httpx

from tests.service.cds_invariants import assert_valid_response

SIGN = "/cds-services/doseguard-order-sign"
SELECT = "/cds-services/doseguard-order-select"


def cards_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid_response(body)
    return list(body["cards"])


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return dict(body)


def topics(cards: list[dict[str, Any]]) -> list[str]:
    return [card["source"].get("topic", {}).get("code", "") for card in cards]
