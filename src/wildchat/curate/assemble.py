"""Turning a linked chain of calls into one corpus row in WildChat-1M's schema.

``assemble`` lays out the turns and the metadata that come straight from the logs; the enrichment
steps then fill each turn's language, toxicity and redaction; ``finalize`` derives the
conversation-level fields from the turns. Definitions, as in WildChat-1M:

* ``conversation_hash``: the MD5 hex digest of the conversation's published content (each turn's
  role and text, in order). Like WildChat's, it identifies *content*, not a conversation: two
  conversations with the same turns share it. It is computed after redaction, so anyone can recompute
  it from the published row.
* ``conversation_id`` (ours, unique): a hash of the chain's call ids; a leaf call determines its path,
  so two rows never share it, and rebuilding from the same logs gives the same ids.
* ``turn_identifier``: one id per exchange; a user message and the reply to it share it. It is derived
  from the call that produced the exchange (and the exchange's position for histories a client sent
  without earlier calls), so a shared prefix keeps its ids in every branch.
* ``timestamp``: the time of the last turn (when the last reply completed). Assistant turns carry the
  time their reply completed; user turns carry the sender's ``hashed_ip``/``state``/``country``/
  ``header``, as in WildChat.
* ``turn``: the number of user turns. ``language``: the most frequent turn language, "Nolang" turns
  not voting and ties going to the language seen first (``language.conversation_language``).
  ``state``/``country``/``hashed_ip``: the most frequent over user turns. ``header``: the first user
  turn's. ``toxic``/``redacted``: any turn's.

System messages are kept as turns with role ``system`` and no per-user metadata.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

from wildchat.curate.language import conversation_language
from wildchat.curate.link import Chain, reply_of
from wildchat.records import ChatCall, Conversation, Message, Turn

_T = TypeVar("_T")

HEADER_NAMES = ("accept-language", "user-agent")


def conversation_id(chain: Chain) -> str:
    h = hashlib.sha256("\x1f".join(c.call_id for c in chain.calls).encode())
    return h.hexdigest()[:32]


def conversation_hash(turns: Iterable[Turn]) -> str:
    """WildChat's content hash: MD5 over the turns' roles and contents (not unique by design)."""
    h = hashlib.md5(usedforsecurity=False)
    for t in turns:
        h.update(t.role.encode())
        h.update(b"\x00")
        h.update(t.content.encode())
        h.update(b"\x00")
    return h.hexdigest()


def turn_identifier(call_id: str, exchange: int) -> int:
    """A positive int64 for the exchange ``exchange`` of the turns a call contributed."""
    digest = hashlib.blake2b(f"{call_id}\x1f{exchange}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


def _header(call: ChatCall) -> dict[str, str | None]:
    return {name: call.headers.get(name) for name in HEADER_NAMES}


def _turns_of_call(call: ChatCall, new_messages: list[Message]) -> list[Turn]:
    """The turns one call contributes: its new messages (user, system, or a sent history) + its reply."""
    reply = reply_of(call)
    assert reply is not None
    turns: list[Turn] = []
    exchange = 0
    previous_role: str | None = None
    for m in [*new_messages, Message("assistant", reply)]:
        # A new exchange starts at a user message that follows anything but a user message.
        if m.role == "user" and previous_role not in (None, "user"):
            exchange += 1
        previous_role = m.role
        tid = turn_identifier(call.call_id, exchange)
        if m.role == "user":
            turns.append(
                Turn(
                    role="user",
                    content=m.content,
                    turn_identifier=tid,
                    hashed_ip=call.hashed_ip,
                    state=call.state,
                    country=call.country,
                    header=_header(call),
                )
            )
        else:
            turns.append(Turn(role=m.role, content=m.content, turn_identifier=tid))
    # Only the call's own reply has a known completion time; history sent by a client has none.
    turns[-1].timestamp = call.completed_at
    return turns


def assemble(chain: Chain) -> Conversation:
    """The corpus row for a chain, before enrichment (languages etc. are filled by the steps)."""
    turns: list[Turn] = []
    seen = 0  # messages (history + replies) already laid out
    for call in chain.calls:
        turns.extend(_turns_of_call(call, call.messages[seen:]))
        seen = len(call.messages) + 1
    last = chain.calls[-1]
    conv = Conversation(
        conversation_id=conversation_id(chain),
        conversation_hash="",
        model=last.model,
        timestamp=last.completed_at,
        conversation=turns,
        turn=sum(1 for t in turns if t.role == "user"),
    )
    return finalize(conv)


def most_frequent(values: Iterable[_T | None]) -> _T | None:
    """The most frequent non-None value; ties go to the one seen first."""
    counts: Counter[_T] = Counter(v for v in values if v is not None)
    if not counts:
        return None
    return counts.most_common(1)[0][0]  # most_common keeps first-seen order among ties


def finalize(conv: Conversation) -> Conversation:
    """Derive the conversation-level fields from the turns (call again after any step edits turns)."""
    users = [t for t in conv.conversation if t.role == "user"]
    conv.turn = len(users)
    labels = [t.language for t in conv.conversation if t.language is not None]
    conv.language = conversation_language(labels) if labels else None
    conv.toxic = any(t.toxic for t in conv.conversation)
    conv.redacted = any(t.redacted for t in conv.conversation)
    conv.state = most_frequent(t.state for t in users)
    conv.country = most_frequent(t.country for t in users)
    conv.hashed_ip = most_frequent(t.hashed_ip for t in users)
    conv.header = users[0].header if users else None
    conv.conversation_hash = conversation_hash(conv.conversation)
    return conv
