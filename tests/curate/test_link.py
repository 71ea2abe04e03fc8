"""Linking scripted logs into conversations: chains, branches, strangers, invented histories."""

from __future__ import annotations

import random

from scripted import call, follow

from wildchat.curate.link import link_calls
from wildchat.records import CallStatus, ChatCall


def contents(chain_calls: list[ChatCall]) -> list[str]:
    return [c.call_id for c in chain_calls]


def test_multi_turn_chain_is_one_conversation() -> None:
    a = call("u1", [("user", "hi")], "hello", minute=0)
    b = follow(a, "how are you", "fine", minute=1)
    c = follow(b, "bye", "ciao", minute=2)
    chains, stats = link_calls([c, a, b])
    assert [contents(ch.calls) for ch in chains] == [[a.call_id, b.call_id, c.call_id]]
    assert stats.calls_linked == 2 and stats.calls_root == 1 and stats.conversations == 1
    assert not chains[0].history_invented


def test_regeneration_branches_with_shared_prefix() -> None:
    a = call("u1", [("user", "write a poem")], "roses", minute=0)
    b = follow(a, "longer", "roses are red", minute=1)
    b2 = follow(a, "longer", "violets are blue", minute=2)  # regenerate: same messages again
    chains, stats = link_calls([a, b, b2])
    assert sorted(contents(ch.calls) for ch in chains) == sorted(
        [[a.call_id, b.call_id], [a.call_id, b2.call_id]]
    )
    assert stats.branch_points == 1


def test_edit_of_last_user_message_branches() -> None:
    a = call("u1", [("user", "q1")], "r1", minute=0)
    b = follow(a, "q2", "r2", minute=1)
    edited = follow(a, "q2 (edited)", "r2'", minute=2)
    after_edit = follow(edited, "q3", "r3", minute=3)
    chains, _ = link_calls([after_edit, edited, b, a])
    paths = sorted(contents(ch.calls) for ch in chains)
    assert paths == sorted([[a.call_id, b.call_id], [a.call_id, edited.call_id, after_edit.call_id]])


def test_first_turn_regeneration_gives_two_single_call_conversations() -> None:
    a = call("u1", [("user", "hi")], "hello", minute=0)
    a2 = call("u1", [("user", "hi")], "hey there", minute=1)
    chains, _ = link_calls([a, a2])
    assert sorted(contents(ch.calls) for ch in chains) == sorted([[a.call_id], [a2.call_id]])


def test_two_users_with_same_first_message_never_link() -> None:
    a = call("u1", [("user", "hi")], "hello", minute=0)
    b = call("u2", [("user", "hi")], "hello", minute=1)  # same text, same reply, other consent
    b_next = follow(b, "tell me a joke", "knock knock", minute=2)
    chains, _ = link_calls([a, b, b_next])
    assert sorted(contents(ch.calls) for ch in chains) == sorted([[a.call_id], [b.call_id, b_next.call_id]])


def test_interleaved_users_and_models_link_separately() -> None:
    a1 = call("u1", [("user", "a")], "A", minute=0)
    b1 = call("u2", [("user", "b")], "B", minute=1)
    m1 = call("u1", [("user", "a")], "A", minute=2, model="other-model")
    a2 = follow(a1, "a again", "A2", minute=3)
    b2 = follow(b1, "b again", "B2", minute=4)
    m2 = follow(m1, "a again", "A2", minute=5)
    chains, stats = link_calls([a1, b1, m1, a2, b2, m2])
    assert sorted(contents(ch.calls) for ch in chains) == sorted(
        [[a1.call_id, a2.call_id], [b1.call_id, b2.call_id], [m1.call_id, m2.call_id]]
    )
    assert stats.calls_linked == 3


def test_invented_history_is_kept_and_counted() -> None:
    invented = call(
        "u1", [("user", "q1"), ("assistant", "an answer nobody gave"), ("user", "q2")], "r2", minute=0
    )
    nxt = follow(invented, "q3", "r3", minute=1)
    chains, stats = link_calls([invented, nxt])
    assert [contents(ch.calls) for ch in chains] == [[invented.call_id, nxt.call_id]]
    assert chains[0].history_invented
    assert stats.invented_history == 1


def test_system_messages_are_part_of_the_key_and_kept() -> None:
    a = call("u1", [("system", "be terse"), ("user", "hi")], "yo", minute=0)
    b = follow(a, "more", "no", minute=1)
    other_system = call(
        "u1", [("system", "be verbose"), ("user", "hi"), ("assistant", "yo"), ("user", "x")], "y", minute=2
    )
    chains, stats = link_calls([a, b, other_system])
    assert sorted(contents(ch.calls) for ch in chains) == sorted(
        [[a.call_id, b.call_id], [other_system.call_id]]
    )
    assert stats.invented_history == 1


def test_calls_without_reply_are_dropped_with_reasons_and_partial_replies_kept() -> None:
    a = call("u1", [("user", "q")], "r", minute=0)
    failed = follow(a, "q2", None, minute=1, status=CallStatus.UPSTREAM_ERROR)
    timeout = follow(a, "q2", None, minute=2, status=CallStatus.UPSTREAM_TIMEOUT)
    partial = follow(a, "q2", "half an ans", minute=3, status=CallStatus.CLIENT_DISCONNECTED)
    after = follow(partial, "go on", "the rest", minute=4)
    chains, stats = link_calls([a, failed, timeout, partial, after])
    assert [contents(ch.calls) for ch in chains] == [[a.call_id, partial.call_id, after.call_id]]
    assert stats.dropped == {"no_reply:upstream_error": 1, "no_reply:upstream_timeout": 1}
    assert stats.partial_replies == 1


def test_every_call_appears_once_per_conversation_and_none_is_lost() -> None:
    rng = random.Random(7)
    calls: list[ChatCall] = []
    minute = 0
    for user in range(5):
        heads = [call(f"u{user}", [("user", f"start {user}")], f"r{user}", minute=minute)]
        calls.append(heads[0])
        for step in range(12):
            minute += 1
            parent = rng.choice(heads)
            child = follow(parent, f"q{user}-{step}-{rng.randint(0, 2)}", f"a{step}", minute=minute)
            heads.append(child)
            calls.append(child)
    shuffled = calls[:]
    rng.shuffle(shuffled)
    chains, stats = link_calls(shuffled)
    seen = set()
    for ch in chains:
        ids = contents(ch.calls)
        assert len(ids) == len(set(ids))
        seen.update(ids)
        for parent, child in zip(ch.calls, ch.calls[1:], strict=False):
            assert child.received_at > parent.received_at
    assert seen == {c.call_id for c in calls}
    assert stats.calls_in == len(calls) and stats.calls_linked == len(calls) - 5
    again, _ = link_calls(list(reversed(calls)))
    assert [contents(c.calls) for c in again] == [contents(c.calls) for c in chains]


def test_a_client_that_trims_the_reply_still_links() -> None:
    a = call("u1", [("user", "hi")], "hello there\n\n", minute=0)
    b = call("u1", [("user", "hi"), ("assistant", "hello there"), ("user", "and?")], "and so on", minute=1)
    chains, stats = link_calls([a, b])
    assert [contents(ch.calls) for ch in chains] == [[a.call_id, b.call_id]]
    assert stats.invented_history == 0


def test_a_call_logged_twice_counts_once() -> None:
    a = call("u1", [("user", "hi")], "hello", minute=0)
    b = follow(a, "more", "sure", minute=1)
    chains, stats = link_calls([a, b, a, b])
    assert [contents(ch.calls) for ch in chains] == [[a.call_id, b.call_id]]
    assert stats.dropped == {"duplicate_call_id": 2}
