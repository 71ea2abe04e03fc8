"""Words near a number that say what it is: a phone, or an order, ticket, ISBN or version.

Digits alone cannot tell a phone number from an order number (both pass a region's numbering plan more
often than not), so the words just before a candidate decide. Lists cover the languages of the evaluation
set; short Latin words are matched as whole words so that ``tel`` does not fire inside ``hotel``.
"""

from __future__ import annotations

import re

PHONE_WORDS = re.compile(
    r"(?i)(?:\b(?:tel|tél|call|ring|fax|sms|dial|cell|mobile|phone|whatsapp|viber|telegram|contact"
    r"|text\s+me|my\s+number|bel|ara|hp|wa|sđt|gsm|mob|тел)\b"
    # Stems, matched at a word start only (``llam`` must not fire inside ``llama``):
    r"|\b(?:phone|telef|téléf|teléf|telep|móvil|movil|celular|cellulare|portable|handy|rufnummer|anruf|rufen"
    r"|mobil|ligue|liga\b|llam(?:a(?:me|r|nos)|e[ns]?|ad)\b|llám|chiama|appel|joindre|zadzwo|komórk|mobiel|telefoon|điện\s*thoại"
    r"|телеф|звон|моб)"
    # Scripts without spaces between words: no word boundary to rely on.
    r"|电话|電話|手机|手機|联系|聯繫|致电|拨打|微信|هاتف|جوال|اتصل|واتساب|موبايل|携帯|連絡|전화|휴대폰|핸드폰|연락"
    r"|फ़ोन|फोन|मोबाइल)"
)

NOT_PHONE_WORDS = re.compile(
    r"(?i)(?:\b(?:order|orders|tracking|track|invoice|inv|ticket|isbn|issn|serial|sku|case|ref|reference"
    r"|id|no\.|nr|account|acct|pedido|commande|bestell\w*|auftrag|rechnung|factura|facture|fatura|ordine"
    r"|zamówieni\w*|sipariş|заказ\w*|счёт|счет|transaction|txn|receipt|confirmation|booking|version|ver"
    r"|build|release|doi|arxiv|pmid|iban|bic|swift|routing|postcode|postal|zip|plz|cep|cp|postleitzahl"
    r"|standard|iso|din|gost|гост|jis)\b"
    r"|订单|單號|单号|运单|快递|邮编|郵便|우편|注文|주문|송장|#|№)"
)

CARD_WORDS = re.compile(
    r"(?i)(?:card|visa|mastercard|amex|tarjeta|carte|karte|cartão|carta|карт|卡|カード|카드|بطاقة|cc\b|cvv)"
)

# Versions and outline numbering (``section 4.2.1.3``): dotted numbers that are not addresses.
VERSION_WORDS = re.compile(
    r"(?i)(?:\bv(?:er(?:sion)?)?\.?\s*$|version|release|build|firmware|版本|версия|versión|versão|バージョン|버전"
    r"|section|chapter|clause|paragraph|article|\bart\.|§|\bstep|\btable|\bfig(?:ure|\.)|раздел|пункт|章|节"
    r"|[A-Za-z]/$|==\s*$|>=\s*$|<=\s*$|~=\s*$)"
)


def before(text: str, start: int, width: int = 40) -> str:
    """The ``width`` characters before ``start`` (fewer at the beginning of the text)."""
    return text[max(0, start - width) : start]


def after(text: str, end: int, width: int = 16) -> str:
    return text[end : end + width]


def says_phone(text: str, start: int, end: int) -> bool:
    return bool(PHONE_WORDS.search(before(text, start)) or PHONE_WORDS.search(after(text, end)))


def says_not_phone(text: str, start: int) -> bool:
    return bool(NOT_PHONE_WORDS.search(before(text, start, 30)))


def says_card(text: str, start: int) -> bool:
    return bool(CARD_WORDS.search(before(text, start, 40)))


def says_version(text: str, start: int) -> bool:
    return bool(VERSION_WORDS.search(before(text, start, 24)))
