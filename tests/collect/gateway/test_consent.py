"""Consent is the price of access: terms, agreeing, the 401 that explains how, and withdrawal."""

from __future__ import annotations

import hashlib
import sqlite3

import httpx
import openai
import pytest

from collect.support.processes import Gateway


def test_terms_say_what_is_collected(gateway: Gateway) -> None:
    terms = httpx.get(gateway.api + "/consent").json()
    assert terms["terms_version"] == "2026-11-26"
    for phrase in ("prompts", "user agent", "salted hash of your IP", "country", "published", "withdraw"):
        assert phrase in terms["terms"]


def test_agreeing_returns_a_random_key_and_stores_only_its_hash(gateway: Gateway) -> None:
    keys = {gateway.consent() for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        assert len(key) >= 3 + 43  # prefix + 256 bits in url-safe base64
    db = sqlite3.connect(gateway.data_dir / "logs.sqlite3")
    dump = "\n".join(db.iterdump())
    db.close()
    for key in keys:
        assert key not in dump
        assert hashlib.sha256(key.encode()).hexdigest() in dump


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"agree": True, "terms_version": "1999-01-01"}, 409),
        ({"agree": False, "terms_version": "2026-11-26"}, 400),
        ({"terms_version": "2026-11-26"}, 400),
    ],
)
def test_agreeing_to_anything_but_the_current_terms_is_refused(
    gateway: Gateway, body: dict[str, object], status: int
) -> None:
    response = httpx.post(gateway.api + "/consent", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert "key" not in response.json()


def test_calls_without_a_valid_key_get_401_saying_how_to_consent(gateway: Gateway) -> None:
    for api_key in ("", "wc-not-a-real-key"):
        client = openai.OpenAI(base_url=gateway.api, api_key=api_key or "x", max_retries=0)
        if not api_key:
            client = openai.OpenAI(
                base_url=gateway.api, api_key="unused", max_retries=0, default_headers={"Authorization": ""}
            )
        with pytest.raises(openai.AuthenticationError) as caught:
            client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}])
        message = caught.value.body["message"]  # type: ignore[index]
        assert "POST /v1/consent" in message and "GET /v1/consent" in message
        assert caught.value.status_code == 401


def test_withdrawal_deletes_every_record_and_revokes_the_key(gateway: Gateway) -> None:
    stay, leave = gateway.consent(), gateway.consent()
    for key, n in ((stay, 2), (leave, 3)):
        client = openai.OpenAI(base_url=gateway.api, api_key=key, max_retries=0)
        for i in range(n):
            client.chat.completions.create(
                model="fake", messages=[{"role": "user", "content": f"{key[-6:]} {i}"}]
            )
        list(
            client.chat.completions.create(
                model="fake", messages=[{"role": "user", "content": "s"}], stream=True
            )
        )
    leave_id = _consent_id(gateway, leave)
    stay_id = _consent_id(gateway, stay)
    assert sum(c.consent_id == leave_id for c in gateway.calls()) == 4

    response = httpx.delete(gateway.api + "/consent", headers={"Authorization": f"Bearer {leave}"})
    assert response.status_code == 200
    assert response.json() == {"withdrawn": True, "consent_id": leave_id, "deleted": 4}
    calls = gateway.calls()
    assert not [c for c in calls if c.consent_id == leave_id]
    assert sum(c.consent_id == stay_id for c in calls) == 3
    store = gateway.open_store()
    try:
        assert any(t.consent_id == leave_id for t in store.tombstones())
    finally:
        store.close()

    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.api, api_key=leave, max_retries=0).chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "still there?"}]
        )
    again = httpx.delete(gateway.api + "/consent", headers={"Authorization": f"Bearer {leave}"})
    assert again.status_code == 401
    assert httpx.delete(gateway.api + "/consent").status_code == 401


def _consent_id(gateway: Gateway, key: str) -> str:
    store = gateway.open_store()
    try:
        consent = store.find_consent(hashlib.sha256(key.encode()).hexdigest())
    finally:
        store.close()
    assert consent is not None
    return consent.consent_id
