"""Precision rules applied to what Presidio's own recognizers report (email, card, IBAN, IP).

Each rule returns the span to redact, possibly narrowed, or None to keep the text. The choices:

* IP addresses: only globally routable ones are personal. Loopback, private (10/8, 172.16/12, 192.168/16,
  fc00::/7), link-local, documentation, multicast and reserved addresses identify nobody on the internet and
  appear in every networking question, so they stay; so do public resolvers (8.8.8.8, 1.1.1.1, ...) and the
  placeholder 1.2.3.4. A dotted quad labelled as a version, or part of a
  longer dotted run (an SNMP OID, ``1.2.3.4.5``), is not an address.
* Emails: ``git@host`` is the scp form of a git remote, and a ``user:pass@host`` inside a URL is handled as
  URL credentials; letters of another script glued to the front of an address (``邮箱是a@b.com``) are text.
* Cards: Presidio requires the Luhn check; we also require an issuer prefix valid for the length (``cards``,
  which also adds the layouts Presidio misses); a number labelled as an order/ticket/tracking number
  without a card word nearby stays.
"""

from __future__ import annotations

import ipaddress
import re

from wildchat.curate.pii import context
from wildchat.curate.pii import entities as E
from wildchat.curate.pii.cards import issued_card_number

Span = tuple[int, int]
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Public services and the textbook placeholder: every networking answer names them, and they are nobody's.
WELL_KNOWN_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "1.2.3.4", "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112",
        "208.67.222.222", "208.67.220.220", "4.2.2.2", "2001:4860:4860::8888", "2001:4860:4860::8844",
        "2606:4700:4700::1111", "2606:4700:4700::1001",
    )
)  # fmt: skip
_URL_USERINFO = re.compile(r"://[^\s/@]*$")
_DOTTED_NEIGHBOUR = re.compile(r"\d\.$")


def _ip(text: str, start: int, end: int) -> Span | None:
    raw = text[start:end]
    try:
        address = ipaddress.ip_interface(raw.split("%", 1)[0]).ip
    except ValueError:
        return None
    if not address.is_global or address in WELL_KNOWN_ADDRESSES:
        return None
    if address.version == 6:
        if address not in _IPV6_GLOBAL_UNICAST:
            return None
    else:
        if _DOTTED_NEIGHBOUR.search(text[max(0, start - 2) : start]) or re.match(
            r"\.\d", text[end : end + 2]
        ):
            return None
        if context.says_version(text, start):
            return None
    return start, end


def _email(text: str, start: int, end: int) -> Span | None:
    local = text[start:end].split("@", 1)[0]
    # Text of another script glued to the front of an address (``邮箱是a@b.com``) is not part of it.
    foreign = [i for i, c in enumerate(local) if ord(c) > 127]
    if foreign:
        start += foreign[-1] + 1
        local = local[foreign[-1] + 1 :]
    if not local or local == "git" or _URL_USERINFO.search(text[max(0, start - 200) : start]):
        return None
    while end > start and ord(text[end - 1]) > 127:  # and glued after it (``a@qq.com谢谢``)
        end -= 1
    return start, end


def _card(text: str, start: int, end: int) -> Span | None:
    if not issued_card_number(re.sub(r"\D", "", text[start:end])):
        return None  # Presidio checks Luhn only: an IMEI (15 digits, Luhn) would pass as a Visa
    if context.NOT_PHONE_WORDS.search(context.before(text, start, 30)) and not context.says_card(text, start):
        return None
    return start, end


_RULES = {E.IP_ADDRESS: _ip, E.EMAIL_ADDRESS: _email, E.CREDIT_CARD: _card}


def refine(entity: str, text: str, start: int, end: int) -> Span | None:
    """The span to redact for a finding of ``entity``, or None where the finding is not personal data."""
    rule = _RULES.get(entity)
    return (start, end) if rule is None else rule(text, start, end)
