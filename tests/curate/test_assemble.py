"""Assembly of a chain into WildChat-1M's row, field by field."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from scripted import call, follow

from wildchat.curate.assemble import assemble, conversation_hash, finalize
from wildchat.curate.link import link_calls
from wildchat.records import CORPUS_SCHEMA, conversations_to_table


def two_turn_conversation():  # type: ignore[no-untyped-def]
    a = call("u1", [("system", "be nice"), ("user", "hi")], "hello", minute=0, ip="ip-a", country="France")
    b = follow(a, "how are you?", "fine", minute=1, ip="ip-b", country="Germany", state="Bavaria")
    c = follow(b, "bye", "ciao", minute=2, ip="ip-b", country="Germany", state="Bavaria")
    chains, _ = link_calls([a, b, c])
    return a, b, c, assemble(chains[0])


def test_turns_roles_contents_and_metadata() -> None:
    a, b, c, conv = two_turn_conversation()
    assert [(t.role, t.content) for t in conv.conversation] == [
        ("system", "be nice"),
        ("user", "hi"),
        ("assistant", "hello"),
        ("user", "how are you?"),
        ("assistant", "fine"),
        ("user", "bye"),
        ("assistant", "ciao"),
    ]
    users = [t for t in conv.conversation if t.role == "user"]
    bots = [t for t in conv.conversation if t.role == "assistant"]
    assert [u.hashed_ip for u in users] == ["ip-a", "ip-b", "ip-b"]
    assert users[0].header == {"accept-language": "fr-FR", "user-agent": "ua/1"}
    assert all(u.timestamp is None for u in users)
    assert [t.timestamp for t in bots] == [a.completed_at, b.completed_at, c.completed_at]
    assert all(t.hashed_ip is None and t.header is None for t in bots)
    system = conv.conversation[0]
    assert system.hashed_ip is None and system.timestamp is None


def test_turn_identifiers_pair_user_and_reply_and_are_distinct() -> None:
    _, _, _, conv = two_turn_conversation()
    ids = [t.turn_identifier for t in conv.conversation[1:]]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[4] == ids[5]
    assert len({ids[0], ids[2], ids[4]}) == 3
    assert all(i is not None and 0 <= i < 2**63 for i in ids)


def test_conversation_level_fields() -> None:
    _, _, c, conv = two_turn_conversation()
    assert conv.turn == 3
    assert conv.timestamp == c.completed_at  # the last turn's time
    assert conv.model == "gpt-x"
    assert conv.country == "Germany" and conv.state == "Bavaria" and conv.hashed_ip == "ip-b"
    assert conv.header == {"accept-language": "fr-FR", "user-agent": "ua/1"}
    assert len(conv.conversation_id) == 32


def test_language_toxic_redacted_follow_the_turns() -> None:
    _, _, _, conv = two_turn_conversation()
    for t, lang in zip(
        conv.conversation,
        ["English", "French", "French", "French", "English", "French", "Nolang"],
        strict=True,
    ):
        t.language = lang
    conv.conversation[3].toxic = True
    conv.conversation[5].redacted = True
    finalize(conv)
    assert conv.language == "French"  # the most frequent turn language
    assert conv.toxic and conv.redacted


def test_language_tie_goes_to_first_seen_and_nolang_does_not_vote() -> None:
    _, _, _, conv = two_turn_conversation()
    for t, lang in zip(
        conv.conversation,
        ["English", "English", "French", "French", "Nolang", "Nolang", "Nolang"],
        strict=True,
    ):
        t.language = lang
    finalize(conv)
    assert conv.language == "English"  # "Nolang" turns do not vote
    for t, lang in zip(
        conv.conversation, ["Spanish", "English", "English", "French", "French", "X", "Y"], strict=True
    ):
        t.language = lang
    finalize(conv)
    assert conv.language == "English"


def test_conversation_hash_is_md5_of_content_and_not_unique() -> None:
    _, _, _, conv = two_turn_conversation()
    expected = hashlib.md5(usedforsecurity=False)
    for t in conv.conversation:
        expected.update(t.role.encode() + b"\x00" + t.content.encode() + b"\x00")
    assert conv.conversation_hash == expected.hexdigest()
    # Two users saying the same thing: same hash, different ids.
    a = call("u1", [("user", "hi")], "hello", minute=0)
    b = call("u2", [("user", "hi")], "hello", minute=0)
    chains, _ = link_calls([a, b])
    rows = [assemble(ch) for ch in chains]
    assert rows[0].conversation_hash == rows[1].conversation_hash == conversation_hash(rows[0].conversation)
    assert rows[0].conversation_id != rows[1].conversation_id


def test_rows_fit_the_corpus_schema_exactly() -> None:
    _, _, _, conv = two_turn_conversation()
    table = conversations_to_table([conv])
    assert table.schema.equals(CORPUS_SCHEMA)
    row = table.to_pylist()[0]
    assert (
        row["turn"] == 3 and row["conversation"][1]["turn_identifier"] == conv.conversation[1].turn_identifier
    )
    assert isinstance(table["timestamp"].type, pa.TimestampType)


def test_invented_history_turns_belong_to_the_root_call() -> None:
    root = call("u1", [("user", "q1"), ("assistant", "made up"), ("user", "q2")], "r2", minute=0)
    chains, _ = link_calls([root])
    conv = assemble(chains[0])
    assert [t.content for t in conv.conversation] == ["q1", "made up", "q2", "r2"]
    assert conv.turn == 2
    ids = [t.turn_identifier for t in conv.conversation]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    assert conv.conversation[1].timestamp is None and conv.conversation[3].timestamp == root.completed_at
