"""Each secret type is found and replaced whole; the look-alikes in docs and code are left alone."""

from __future__ import annotations

import pytest

from wildchat.curate.pii import Redactor, placeholder

R40 = "Zq8xK2mPw9LvT4nRb7YcHd3FgJs6AeU1oQiW5tEy"  # 40 mixed characters, reused to build fake keys

SECRETS = [
    ("OPENAI_API_KEY", f"sk-{R40[:20]}T3BlbkFJ{R40[20:]}"),
    ("OPENAI_API_KEY", f"sk-proj-{R40}_{R40}-{R40[:12]}"),
    ("ANTHROPIC_API_KEY", f"sk-ant-api03-{R40}{R40}-{R40[:13]}AA"),
    ("HUGGINGFACE_TOKEN", "hf_" + "".join(c for c in R40 if c.isalpha())[:34]),
    ("GITHUB_TOKEN", f"ghp_{R40[:36]}"),
    ("GITHUB_TOKEN", f"ghu_{R40[4:40]}"),
    ("GITHUB_TOKEN", f"ghr_{R40[:36]}"),
    ("GITHUB_TOKEN", f"github_pat_11{R40[:20]}_{R40}{R40[:19]}"),
    ("SLACK_TOKEN", "xoxb-123456789012-1234567890123-" + R40[:24]),
    ("SLACK_TOKEN", "xoxa-2-987654321098-" + R40[:30]),
    ("SLACK_WEBHOOK", "https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/" + R40[:24]),
    ("STRIPE_KEY", "sk_live_" + R40[:24]),
    ("STRIPE_KEY", "rk_test_" + R40[:30]),
    ("GOOGLE_API_KEY", "AIza" + R40[:35]),
    ("AWS_ACCESS_KEY_ID", "AKIA" + R40.upper()[:16]),
    ("AWS_ACCESS_KEY_ID", "ASIA" + R40.upper()[10:26]),
    (
        "JWT",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ." + R40[:43].replace("+", "-"),
    ),
]


@pytest.mark.parametrize(("entity", "secret"), SECRETS, ids=[f"{e}-{i}" for i, (e, _) in enumerate(SECRETS)])
def test_secret_is_replaced_whole(redactor: Redactor, entity: str, secret: str) -> None:
    text = f"here it is: {secret} - why does it fail?"
    [result] = redactor.redact([text])
    assert result.entities == [entity]
    assert result.text == f"here it is: {placeholder(entity)} - why does it fail?"


def test_aws_secret_key_needs_its_label(redactor: Redactor) -> None:
    labelled, bare = redactor.redact([f"aws_secret_access_key={R40}", f"the blob {R40} is base64"])
    assert labelled.text == f"aws_secret_access_key={placeholder('AWS_SECRET_ACCESS_KEY')}"
    assert bare.entities == []


def test_private_key_blocks_complete_and_truncated(redactor: Redactor) -> None:
    body = "\n".join([R40 + R40[:24]] * 3)
    whole = f"key:\n-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\nthanks"
    cut = f"-----BEGIN PRIVATE KEY-----\n{body}"
    public = f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----"
    a, b, c = redactor.redact([whole, cut, public])
    assert a.text == f"key:\n{placeholder('PRIVATE_KEY')}\nthanks"
    assert b.text == placeholder("PRIVATE_KEY")
    assert c.entities == []


def test_url_password_goes_host_stays(redactor: Redactor) -> None:
    [result] = redactor.redact(["amqp://rabbit:Tr0ub4dor3@mq.internal.example:5672/vhost"])
    assert result.text == f"amqp://{placeholder('URL_CREDENTIALS')}@mq.internal.example:5672/vhost"


@pytest.mark.parametrize(
    "text",
    [
        "openai.api_key = 'sk-...'",
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "pip install scikit-learn  # sk-learn is not a key",
        "see sk-learn-tutorial-for-beginners-2023 and sk-ant-not-a-real-key-just-words-here",
        "ghp_abcdefghijklmnopqrstuvwxyzabcdefghij is lower case only",
        "hf_hub_download(repo_id='gpt2', filename='config.json')",
        "ghp_ tokens start with ghp_ and are 40 characters long",
        "AKIAIOSFODNN7 is cut short",
        "postgres://user:${POSTGRES_PASSWORD}@db:5432/app",
        "postgresql://postgres:password@localhost/postgres",
        "https://git:@github.com/org/repo",
        "ssh://git@github.com/org/repo.git",
        "Authorization: Bearer <token>",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUW\n-----END CERTIFICATE-----",
        "const secret = process.env.STRIPE_SECRET_KEY;",
    ],
)
def test_documentation_look_alikes_survive(redactor: Redactor, text: str) -> None:
    [result] = redactor.redact([text])
    assert result.entities == [], result.text
    assert result.text == text
