"""The redactor's contract: placeholders, entity lists, batching, idempotence, multilingual text."""

from __future__ import annotations

import pickle
import re

from wildchat.curate.pii import Finding, Redactor, placeholder
from wildchat.curate.pii.evaluation import Case
from wildchat.curate.pii.redactor import _without_overlaps
from wildchat.curate.pii.screen import triggered_entities

PLACEHOLDER = re.compile(r"<PRESIDIO_ANONYMIZED_[A-Z_]+>")


def test_placeholder_format_is_wildchats() -> None:
    assert placeholder("EMAIL_ADDRESS") == "<PRESIDIO_ANONYMIZED_EMAIL_ADDRESS>"


def test_entities_listed_in_text_order(redactor: Redactor) -> None:
    [result] = redactor.redact(["call +44 20 7946 0958 or mail a.b@example.org, card 4111 1111 1111 1111"])
    assert result.entities == ["PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD"]
    assert result.text == (
        "call <PRESIDIO_ANONYMIZED_PHONE_NUMBER> or mail <PRESIDIO_ANONYMIZED_EMAIL_ADDRESS>, "
        "card <PRESIDIO_ANONYMIZED_CREDIT_CARD>"
    )


def test_untouched_texts_come_back_identical(redactor: Redactor) -> None:
    texts = ["", "hello", "写一首诗", "2 + 2 = 4", "x" * 5000]
    assert [(r.text, r.entities) for r in redactor.redact(texts)] == [(t, []) for t in texts]


def test_batch_equals_one_by_one(redactor: Redactor, eval_cases: list[Case]) -> None:
    texts = [c.text for c in eval_cases[:60]]
    assert redactor.redact(texts) == [redactor.redact([t])[0] for t in texts]


def test_redacting_redacted_text_changes_nothing(redactor: Redactor, eval_cases: list[Case]) -> None:
    once = redactor.redact([c.text for c in eval_cases])
    assert sum(bool(r.entities) for r in once) >= 100
    twice = redactor.redact([r.text for r in once])
    assert [r.text for r in twice] == [r.text for r in once]
    assert all(r.entities == [] for r in twice)


def test_placeholders_replace_exactly_the_findings(redactor: Redactor, eval_cases: list[Case]) -> None:
    texts = [c.text for c in eval_cases]
    for text, result in zip(texts, redactor.redact(texts), strict=True):
        added = len(PLACEHOLDER.findall(result.text)) - len(PLACEHOLDER.findall(text))
        assert added == len(result.entities)


def test_multilingual_text_around_findings_is_kept(redactor: Redactor) -> None:
    texts = {
        "邮箱是wangwei@163.com，电话13800138000。": "邮箱是<PRESIDIO_ANONYMIZED_EMAIL_ADDRESS>，电话<PRESIDIO_ANONYMIZED_PHONE_NUMBER>。",
        "Мой номер телефона: +7 912 345-67-89!": "Мой номер телефона: <PRESIDIO_ANONYMIZED_PHONE_NUMBER>!",
        "メール: yamada@example.jp まで": "メール: <PRESIDIO_ANONYMIZED_EMAIL_ADDRESS> まで",
        "رقم الهاتف +966 55 987 6543 شكرا": "رقم الهاتف <PRESIDIO_ANONYMIZED_PHONE_NUMBER> شكرا",
        "Mi IBAN: ES91 2100 0418 4502 0005 1332.": "Mi IBAN: <PRESIDIO_ANONYMIZED_IBAN_CODE>.",
    }
    results = redactor.redact(list(texts))
    assert [r.text for r in results] == list(texts.values())


def test_private_and_loopback_addresses_stay_public_ones_go(redactor: Redactor) -> None:
    [result] = redactor.redact(
        ["from 192.168.0.10 via 10.1.2.3 and 127.0.0.1 to 81.2.69.142 and 2606:4700::1111 (not 8.8.8.8)"]
    )
    assert result.text == (
        "from 192.168.0.10 via 10.1.2.3 and 127.0.0.1 to <PRESIDIO_ANONYMIZED_IP_ADDRESS> "
        "and <PRESIDIO_ANONYMIZED_IP_ADDRESS> (not 8.8.8.8)"
    )


def test_screen_skips_texts_without_any_trigger() -> None:
    assert triggered_entities("Write a poem about the sea in 14 lines, rhyming ABAB.") == set()
    assert "EMAIL_ADDRESS" in triggered_entities("a@b.co")
    assert "PHONE_NUMBER" in triggered_entities("tel 612 34 56 78")
    assert "OPENAI_API_KEY" in triggered_entities("key sk-abc")


def test_a_used_redactor_pickles_for_worker_processes(redactor: Redactor) -> None:
    text = "mail x.y@gmail.com"
    copy = pickle.loads(pickle.dumps(redactor))
    assert copy.redact([text]) == redactor.redact([text])


def test_back_to_back_numbers_are_each_found(redactor: Redactor) -> None:
    [result] = redactor.redact(["+1 212-736-5000 +44 20 7946 0958, " * 300])
    assert result.entities == ["PHONE_NUMBER"] * 600


def test_overlapping_findings_keep_the_strongest_then_longest() -> None:
    findings = [
        Finding("PHONE_NUMBER", 0, 10, 0.9),
        Finding("CREDIT_CARD", 2, 18, 1.0),
        Finding("EMAIL_ADDRESS", 20, 30, 0.5),
        Finding("URL_CREDENTIALS", 20, 34, 0.5),
        Finding("IP_ADDRESS", 40, 47, 0.6),
    ]
    kept = _without_overlaps(list(reversed(findings)))
    assert [f.entity for f in kept] == ["CREDIT_CARD", "URL_CREDENTIALS", "IP_ADDRESS"]
