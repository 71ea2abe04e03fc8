"""Linking stateless API calls into conversations.

The chat API is stateless: every call repeats the whole history. A call *continues* an earlier call
when its messages, up to and including its last assistant message, equal the earlier call's messages
plus the earlier call's reply. As WildChat did, we key this on a hash of the message list: each call
with a reply registers ``hash(messages + [reply])``, and a later call looks up
``hash(messages[: last assistant + 1])``. Only calls of the same consent and the same model link, and
only to a call received earlier.

The links form a forest. Every root-to-leaf path is one conversation: a regeneration (the same
messages sent again) or an edit (a different last user message) makes siblings, so each branch is its
own complete conversation and the shared prefix appears in each. Within one conversation every call
appears exactly once; a call on a shared prefix appears in every branch below it.

What is kept and what is dropped (counted, with the reason, in the manifest):

* A call without a reply (an upstream error or timeout, an empty stream) is dropped: there is no
  exchange to publish. A retry after an error usually repeats the same messages and links as usual.
* A partial reply (a stream cut by the upstream or the client) is kept as the text the user saw; a
  later call that repeats it in its history links to it as usual. Partial replies are counted.
* A call whose history ends in an assistant message that no earlier call produced (a client that
  invented or edited the history, or whose earlier calls were dropped) starts its own conversation
  with that history as sent; it is counted as ``invented_history``.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from wildchat.records import CallStatus, ChatCall, Message

#: Calls with these statuses may carry a partial reply (a cut stream); they are kept when they do.
PARTIAL_STATUSES = frozenset({CallStatus.UPSTREAM_DISCONNECTED, CallStatus.CLIENT_DISCONNECTED})


@dataclass(slots=True)
class Chain:
    """One conversation as a root-to-leaf path of calls, oldest first.

    ``history_invented`` is True when the root's history holds assistant messages no earlier call
    produced: those turns are published as the client sent them.
    """

    calls: list[ChatCall]
    history_invented: bool = False


@dataclass(slots=True)
class LinkStats:
    """Counts for the manifest: calls in, calls kept, drop reasons, and how chains branched."""

    calls_in: int = 0
    calls_linked: int = 0  # calls that continue an earlier call
    calls_root: int = 0  # calls that start a chain (no history, or history matching nothing)
    invented_history: int = 0
    partial_replies: int = 0
    branch_points: int = 0  # calls with two or more continuations (regenerations, edits)
    conversations: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def merge(self, other: LinkStats) -> None:
        for name in (
            "calls_in",
            "calls_linked",
            "calls_root",
            "invented_history",
            "partial_replies",
            "branch_points",
            "conversations",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.dropped.update(other.dropped)

    def as_dict(self) -> dict[str, object]:
        return {
            "calls_in": self.calls_in,
            "calls_linked": self.calls_linked,
            "calls_root": self.calls_root,
            "invented_history": self.invented_history,
            "partial_replies": self.partial_replies,
            "branch_points": self.branch_points,
            "conversations": self.conversations,
            "dropped": dict(sorted(self.dropped.items())),
        }


def messages_key(messages: Iterable[Message]) -> bytes:
    """A hash of a message list (roles and contents, unambiguously framed).

    Contents are compared without leading and trailing whitespace: chat clients commonly trim the reply
    they send back in the next call's history, and that must not break the chain.
    """
    h = hashlib.blake2b(digest_size=16)
    for m in messages:
        role = m.role.encode()
        content = m.content.strip().encode()
        h.update(len(role).to_bytes(4, "little"))
        h.update(role)
        h.update(len(content).to_bytes(8, "little"))
        h.update(content)
    return h.digest()


def reply_of(call: ChatCall) -> str | None:
    """The reply the user saw, or None when the call has none worth publishing."""
    if call.response_text is None or call.response_text == "":
        return None
    if call.status == CallStatus.OK or call.status in PARTIAL_STATUSES:
        return call.response_text
    return None


def drop_reason(call: ChatCall) -> str | None:
    """Why a call cannot be part of a conversation, or None when it can."""
    if not call.messages:
        return "no_messages"
    if reply_of(call) is None:
        return f"no_reply:{call.status}"
    return None


def _history_end(messages: Sequence[Message]) -> int:
    """Length of the history prefix: everything up to and including the last assistant message."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "assistant":
            return i + 1
    return 0


def link_calls(calls: Iterable[ChatCall]) -> tuple[list[Chain], LinkStats]:
    """Link calls (any mix of consents and models) into conversations.

    Deterministic: the result depends only on the calls, not on their input order.
    """
    stats = LinkStats()
    groups: dict[tuple[str, str], list[ChatCall]] = defaultdict(list)
    seen: set[str] = set()
    for call in calls:
        stats.calls_in += 1
        # The same call twice (e.g. two overlapping exports concatenated) would make two rows with one id.
        reason = "duplicate_call_id" if call.call_id in seen else drop_reason(call)
        seen.add(call.call_id)
        if reason is not None:
            stats.dropped[reason] += 1
            continue
        groups[(call.consent_id, call.model)].append(call)
    chains: list[Chain] = []
    for key in sorted(groups):
        chains.extend(_link_group(groups[key], stats))
    stats.conversations = len(chains)
    return chains, stats


def _link_group(calls: list[ChatCall], stats: LinkStats) -> list[Chain]:
    """Link the calls of one consent and one model."""
    calls.sort(key=lambda c: (c.received_at, c.call_id))
    by_reply_key: dict[bytes, int] = {}  # hash(messages + reply) -> index of the latest such call
    parent: list[int | None] = []
    children: dict[int, list[int]] = defaultdict(list)
    invented: set[int] = set()
    for i, call in enumerate(calls):
        reply = reply_of(call)
        assert reply is not None  # drop_reason filtered the rest
        if call.status in PARTIAL_STATUSES:
            stats.partial_replies += 1
        end = _history_end(call.messages)
        found: int | None = None
        if end > 0:
            found = by_reply_key.get(messages_key(call.messages[:end]))
            if found is None:
                invented.add(i)
        parent.append(found)
        if found is None:
            stats.calls_root += 1
        else:
            stats.calls_linked += 1
            children[found].append(i)
        # The latest call wins a key: a regeneration that happens to repeat an earlier reply word for
        # word continues the newer branch, which is the one the client most likely shows.
        by_reply_key[messages_key([*call.messages, Message("assistant", reply)])] = i
    stats.invented_history += len(invented)
    stats.branch_points += sum(1 for kids in children.values() if len(kids) > 1)

    chains: list[Chain] = []
    for leaf in range(len(calls)):
        if children.get(leaf):
            continue
        path = [leaf]
        node = parent[leaf]
        while node is not None:
            path.append(node)
            node = parent[node]
        path.reverse()
        chains.append(Chain(calls=[calls[j] for j in path], history_invented=path[0] in invented))
    return chains
