"""OpenAssistant (oasst1, oasst2): message trees, as the nested tree export or the flat messages table.

* **Tree export** (``*.trees.jsonl``): one tree per record, ``{message_tree_id, tree_state, prompt}``,
  each message with its ``replies`` nested inside.
* **Flat table** (the Hugging Face Parquet/JSONL, ``*.messages.jsonl``): one message per record with
  ``message_id``, ``parent_id`` (null on the root) and ``message_tree_id``. Messages of one tree must be
  contiguous, as in every release (they are grouped by tree), so only one tree is held at a time.

How a tree becomes conversations (``ImportOptions.oasst_paths``; docs/importers.md says why):

* ``all`` (default): one conversation per branch: a path from the root prompt to an assistant reply that
  no later exchange extends. Every answered message lands in at least one conversation, and shared
  prefixes repeat, as they would in a chat where the user regenerated or edited.
* ``best``: one conversation per tree, following the best-ranked reply at every step (lowest ``rank``;
  unranked replies after ranked ones; replies that lead somewhere before dead ends).

Deleted messages and their replies are left out; a prompt nobody answered ends no conversation. Both
are counted in the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wildchat.analyze.importers.base import (
    ImportOptions,
    ImportStats,
    MalformedInput,
    Record,
    SourceInfo,
    Where,
)
from wildchat.analyze.importers.fields import (
    as_object,
    opt_bool,
    opt_int,
    opt_list,
    opt_object,
    opt_str,
    opt_timestamp,
    req_str,
)
from wildchat.analyze.importers.languages import language_name
from wildchat.analyze.importers.rows import conversation_row, detoxify_entry, turn_row
from wildchat.records import DETOXIFY_LABELS, DETOXIFY_TOXIC_THRESHOLD

OASST_SOURCE = SourceInfo(
    pretty_name="OpenAssistant Conversations (oasst)",
    homepage="https://huggingface.co/datasets/OpenAssistant/oasst1",
    license="apache-2.0",
    license_note="oasst1 and oasst2 are released by LAION / OpenAssistant under the Apache License 2.0.",
    citation=(
        "Köpf et al. OpenAssistant Conversations: Democratizing Large Language Model Alignment. "
        "NeurIPS 2023 Datasets and Benchmarks."
    ),
)

_ROLES = {"prompter": "user", "assistant": "assistant"}


@dataclass(eq=False)
class Node:
    """One message of a tree, with its (non-deleted) replies in input order."""

    message_id: str
    role: str  # "user" or "assistant"
    text: str
    where: Where
    lang: str | None = None
    rank: int | None = None
    deleted: bool = False
    synthetic: bool = False
    model_name: str | None = None
    created_date: datetime | None = None
    user_id: str | None = None
    detoxify: dict[str, float | None] | None = None
    replies: list[Node] = field(default_factory=list)
    #: Whether an assistant reply lies somewhere below this message (set by ``_mark``).
    leads_on: bool = False


def _node(data: dict[str, Any], path: str, where: Where) -> Node:
    role_name = req_str(data, f"{path}.role", where)
    role = _ROLES.get(role_name)
    if role is None:
        raise MalformedInput(where, f"{path}.role", f"must be 'prompter' or 'assistant', got {role_name!r}")
    detoxify = opt_object(data, f"{path}.detoxify", where)
    return Node(
        message_id=req_str(data, f"{path}.message_id", where),
        role=role,
        text=req_str(data, f"{path}.text", where),
        where=where,
        lang=opt_str(data, f"{path}.lang", where),
        rank=opt_int(data, f"{path}.rank", where),
        deleted=bool(opt_bool(data, f"{path}.deleted", where)),
        synthetic=bool(opt_bool(data, f"{path}.synthetic", where)),
        model_name=opt_str(data, f"{path}.model_name", where),
        created_date=opt_timestamp(data, f"{path}.created_date", where),
        user_id=opt_str(data, f"{path}.user_id", where),
        detoxify=None if detoxify is None else detoxify_entry(detoxify, f"{path}.detoxify", where),
    )


def _nested_tree(data: dict[str, Any], path: str, where: Where) -> Node:
    node = _node(data, path, where)
    for i, reply in enumerate(opt_list(data, f"{path}.replies", where) or []):
        node.replies.append(
            _nested_tree(as_object(reply, f"{path}.replies[{i}]", where), f"{path}.replies[{i}]", where)
        )
    return node


class OasstImporter:
    name = "oasst"
    record_noun = "records (trees, or messages of the flat table)"
    source = OASST_SOURCE

    def convert(
        self, records: Iterator[Record], stats: ImportStats, options: ImportOptions
    ) -> Iterator[dict[str, Any]]:
        for root, tree_id in self._trees(records, stats, options):
            yield from self._conversations(root, tree_id, stats, options)

    def _trees(
        self, records: Iterator[Record], stats: ImportStats, options: ImportOptions
    ) -> Iterator[tuple[Node, str]]:
        """Trees from either shape; flat messages are grouped by ``message_tree_id`` as they come."""
        group: list[Record] = []
        group_tree: str | None = None
        finished: set[str] = set()
        for record in records:
            stats.records_in += 1
            data, where = record.data, record.where
            if "prompt" in data and "message_tree_id" in data and "parent_id" not in data:
                stats.extra["trees"] += 1
                try:
                    tree_id = req_str(data, "message_tree_id", where)
                    root = _nested_tree(as_object(data["prompt"], "prompt", where), "prompt", where)
                except MalformedInput as error:
                    stats.skip_malformed(error, options)
                    continue
                yield root, tree_id
                continue
            try:
                tree_id = req_str(data, "message_tree_id", where)
            except MalformedInput as error:
                stats.skip_malformed(error, options)
                continue
            if tree_id != group_tree:
                if tree_id in finished:
                    raise MalformedInput(
                        where,
                        "message_tree_id",
                        f"tree {tree_id} appeared earlier and its messages must be contiguous "
                        "(sort the table by message_tree_id)",
                    )
                if group_tree is not None:
                    finished.add(group_tree)
                    yield from self._flat_tree(group, group_tree, stats, options)
                group, group_tree = [], tree_id
            group.append(record)
        if group_tree is not None:
            yield from self._flat_tree(group, group_tree, stats, options)

    def _flat_tree(
        self, group: list[Record], tree_id: str, stats: ImportStats, options: ImportOptions
    ) -> Iterator[tuple[Node, str]]:
        stats.extra["trees"] += 1
        nodes: dict[str, Node] = {}
        parents: list[tuple[Node, str | None]] = []
        for record in group:
            try:
                node = _node(record.data, "message", record.where)
                if node.message_id in nodes:
                    raise MalformedInput(record.where, "message_id", f"{node.message_id} appears twice")
                parent_id = opt_str(record.data, "parent_id", record.where)
            except MalformedInput as error:  # its replies, if any, become orphans (counted below)
                stats.skip_malformed(error, options)
                continue
            nodes[node.message_id] = node
            parents.append((node, parent_id))
        roots, orphans = [], []
        for node, parent_id in parents:
            if parent_id is None:
                roots.append(node)
            elif parent_id in nodes:
                nodes[parent_id].replies.append(node)
            else:
                orphans.append(node)
        for node in orphans:
            _count(node, stats)
            stats.skip("message whose parent is not in the input (with its replies)", node.where, _size(node))
        for root in roots:
            yield root, tree_id

    def _conversations(
        self, root: Node, tree_id: str, stats: ImportStats, options: ImportOptions
    ) -> Iterator[dict[str, Any]]:
        _count(root, stats)
        if root.deleted:
            stats.skip("deleted message (with its replies)", root.where, _size(root))
            return
        _prune_deleted(root, stats)
        _mark(root)
        if not root.leads_on:
            stats.skip("tree without an assistant reply", root.where)
            return
        paths = _all_paths(root, []) if options.oasst_paths == "all" else [_best_path(root)]
        covered: set[str] = set()
        for path in paths:
            covered.update(node.message_id for node in path)
            yield _conversation(path, tree_id)
        stats.extra["messages in conversations"] += len(covered)
        left_out = _size(root) - len(covered)
        if options.oasst_paths == "all" and left_out:  # every answered message is in some path
            stats.skip("prompt nobody answered", root.where, left_out)
        elif left_out:
            stats.extra["messages off the best path"] += left_out


def _size(node: Node) -> int:
    return 1 + sum(_size(reply) for reply in node.replies)


def _count(node: Node, stats: ImportStats) -> None:
    stats.extra["messages"] += 1
    stats.extra[f"{'prompter' if node.role == 'user' else 'assistant'} messages"] += 1
    if node.synthetic:
        stats.extra["synthetic messages"] += 1
    for reply in node.replies:
        _count(reply, stats)


def _prune_deleted(node: Node, stats: ImportStats) -> None:
    kept = []
    for reply in node.replies:
        if reply.deleted:
            stats.skip("deleted message (with its replies)", reply.where, _size(reply))
        else:
            _prune_deleted(reply, stats)
            kept.append(reply)
    node.replies = kept


def _mark(node: Node) -> bool:
    """Set ``leads_on`` bottom-up; returns whether this message is or leads to an assistant reply."""
    below = [_mark(reply) for reply in node.replies]  # a list, so every reply gets marked
    node.leads_on = any(below)
    return node.role == "assistant" or node.leads_on


def _all_paths(node: Node, prefix: list[Node]) -> list[list[Node]]:
    """Root-to-assistant paths that no further exchange extends."""
    path = [*prefix, node]
    if node.role == "assistant" and not node.leads_on:
        return [path]
    out: list[list[Node]] = []
    for reply in node.replies:
        if reply.role == "assistant" or reply.leads_on:
            out += _all_paths(reply, path)
    return out


def _best_path(root: Node) -> list[Node]:
    path = [root]
    node = root
    while True:
        candidates = [r for r in node.replies if r.role == "assistant" or r.leads_on]
        if not candidates:
            break
        # min() keeps the first of equals, so input order breaks ties.
        node = min(candidates, key=lambda r: (r.rank is None, r.rank or 0))
        path.append(node)
    while path[-1].role != "assistant":  # a prompt nobody answered ends no conversation
        path.pop()
    return path


def _conversation(path: list[Node], tree_id: str) -> dict[str, Any]:
    turns = []
    for node in path:
        detox = node.detoxify
        turns.append(
            turn_row(
                node.role,
                node.text,
                language=language_name(node.lang),
                toxic=None if detox is None else _over_threshold(detox),
                timestamp=node.created_date,
                hashed_ip=node.user_id if node.role == "user" else None,
            )
        )
    scored = [n.detoxify for n in path]
    # One entry per turn when Detoxify scored any of them; a turn it did not score gets nulls.
    detoxify = [d if d is not None else dict.fromkeys(DETOXIFY_LABELS) for d in scored] if any(scored) else []
    toxic_turns = [t["toxic"] for t in turns if t["toxic"] is not None]
    models = {n.model_name for n in path if n.role == "assistant"}
    return conversation_row(
        conversation_id=path[-1].message_id,
        conversation=turns,
        model=models.pop() if len(models) == 1 else None,
        timestamp=path[-1].created_date,
        language=language_name(path[0].lang),
        detoxify_moderation=detoxify,
        toxic=any(toxic_turns) if toxic_turns else None,
        hashed_ip=path[0].user_id,
    )


def _over_threshold(scores: dict[str, float | None]) -> bool | None:
    toxicity = scores.get("toxicity")
    return None if toxicity is None else toxicity > DETOXIFY_TOXIC_THRESHOLD
