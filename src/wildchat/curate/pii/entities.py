"""The entity types the redactor replaces, and the placeholder each becomes."""

from __future__ import annotations

# Personal information found by Presidio's pattern recognizers (validated by checksums or structure).
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
CREDIT_CARD = "CREDIT_CARD"
IBAN_CODE = "IBAN_CODE"
IP_ADDRESS = "IP_ADDRESS"
US_SSN = "US_SSN"

# Found only by named-entity recognition, so only when a spaCy model with NER is installed.
PERSON = "PERSON"
LOCATION = "LOCATION"
NER_ENTITIES: tuple[str, ...] = (PERSON, LOCATION)

# Secrets: credentials that were pasted into a chat.
OPENAI_API_KEY = "OPENAI_API_KEY"
ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY"
HUGGINGFACE_TOKEN = "HUGGINGFACE_TOKEN"
GITHUB_TOKEN = "GITHUB_TOKEN"
SLACK_TOKEN = "SLACK_TOKEN"
SLACK_WEBHOOK = "SLACK_WEBHOOK"
STRIPE_KEY = "STRIPE_KEY"
GOOGLE_API_KEY = "GOOGLE_API_KEY"
AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
JWT = "JWT"
PRIVATE_KEY = "PRIVATE_KEY"
URL_CREDENTIALS = "URL_CREDENTIALS"
TELEGRAM_BOT_TOKEN = (
    "TELEGRAM_BOT_TOKEN"  # beyond the list: writing Telegram bots is a common request
)

PATTERN_PII: tuple[str, ...] = (
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    CREDIT_CARD,
    IBAN_CODE,
    IP_ADDRESS,
    US_SSN,
)
SECRETS: tuple[str, ...] = (
    OPENAI_API_KEY,
    ANTHROPIC_API_KEY,
    HUGGINGFACE_TOKEN,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    SLACK_WEBHOOK,
    STRIPE_KEY,
    GOOGLE_API_KEY,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    JWT,
    PRIVATE_KEY,
    URL_CREDENTIALS,
    TELEGRAM_BOT_TOKEN,
)
ALL_ENTITIES: tuple[str, ...] = PATTERN_PII + NER_ENTITIES + SECRETS


def placeholder(entity: str) -> str:
    """The text that replaces a span, in the form WildChat's release uses."""
    return f"<PRESIDIO_ANONYMIZED_{entity}>"
