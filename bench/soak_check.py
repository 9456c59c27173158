"""The soak's verdict: what the clients were told (the ledger), what the server stored (read
back through the Agent Chat API) and what the webhook receiver got, compared.

- every acknowledged event is stored exactly once, in its chat, and one sender's
  acknowledged events are stored in the order it sent them;
- an unknown one is stored at most once; a refused one not at all; nothing else is stored;
- every stored event's webhook was delivered (answered 2xx); a webhook that came more than
  once came with the same delivery id; every delivered webhook is of a stored event; one
  chat's webhooks were delivered in the order of its events;
- every stored file is served back with the bytes that were uploaded.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.soak_load import ACKED, REFUSED, UNKNOWN, Ledger, Web
from bench.soak_receiver import Hit, event_tag


@dataclass
class Stored:
    tag: str
    chat_id: str
    position: int  # place in the chat: threads by order, then events by order
    type: str
    url: str | None


@dataclass
class Verdict:
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)


async def read_back(web: Web, token: str, chat_ids: list[str], prefix: str) -> list[Stored]:
    """Every tagged event of the chats, in each chat's order (thread order, event order)."""
    out: list[Stored] = []
    for chat_id in chat_ids:
        path = "/v3.0/agent/action/get_chat_threads"
        first = await web.post(path, token, body={"payload": {"chat_id": chat_id}})
        if first.status != 200:
            raise RuntimeError(f"get_chat_threads {chat_id}: {first.status} {first.text}")
        ids = [t["thread_id"] for t in first.body["chat"]["threads_summary"]]
        full = await web.post(
            path, token, body={"payload": {"chat_id": chat_id, "thread_ids": ids}}
        )
        if full.status != 200:
            raise RuntimeError(f"get_chat_threads {chat_id}: {full.status} {full.text}")
        position = 0
        for thread in sorted(full.body["chat"]["threads"], key=lambda t: t["order"]):
            for event in sorted(thread["events"], key=lambda e: e["order"]):
                tag = event_tag(event, prefix)
                if tag is not None:
                    out.append(Stored(tag, chat_id, position, event["type"], event.get("url")))
                position += 1
    return out


def check_events(ledger: Ledger, stored: list[Stored], v: Verdict) -> None:
    sent = {s.tag: s for s in ledger.sent}
    copies = Counter(s.tag for s in stored)
    where = {s.tag: s for s in stored}
    counts = ledger.counts()
    lost = [s for s in ledger.sent if s.outcome == ACKED and copies[s.tag] == 0]
    doubled = sorted(tag for tag, n in copies.items() if n > 1)
    refused_stored = [s for s in ledger.sent if s.outcome == REFUSED and copies[s.tag]]
    unknown_stored = sum(1 for s in ledger.sent if s.outcome == UNKNOWN and copies[s.tag])
    phantoms = sorted(tag for tag in copies if tag not in sent)
    misplaced = [s for s in stored if s.tag in sent and sent[s.tag].chat_id != s.chat_id]
    for s in lost[:20]:
        v.problem(f"LOST: {s.tag} ({s.kind} via {s.via}) was acknowledged and is not stored")
    for tag in doubled[:20]:
        v.problem(
            f"DUPLICATE: {tag} ({sent[tag].outcome if tag in sent else '?'}) stored "
            f"{copies[tag]} times"
        )
    for s in refused_stored[:20]:
        v.problem(f"STORED ALTHOUGH REFUSED: {s.tag}: {s.detail}")
    for tag in phantoms[:20]:
        v.problem(f"PHANTOM: {tag} is stored but was never sent")
    for s in misplaced[:20]:
        v.problem(f"MISPLACED: {s.tag} stored in chat {s.chat_id}, sent to {sent[s.tag].chat_id}")
    refusals = [s for s in ledger.sent if s.outcome == REFUSED]
    for s in refusals[:10]:
        v.problem(f"REFUSED: {s.tag} ({s.kind} via {s.via}): {s.detail}")
    # One sender's acknowledged events, in the order it sent them (each was answered
    # before the next was sent, so no other order is possible).
    disordered = 0
    by_sender: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for s in ledger.sent:
        if s.outcome == ACKED and s.tag in where:
            by_sender[(s.sender, s.chat_id)].append((where[s.tag].position, s.tag))
    for (sender, chat_id), placed in by_sender.items():
        tags_in_send_order = [tag for _, tag in placed]
        tags_in_stored_order = [tag for _, tag in sorted(placed)]
        if tags_in_send_order != tags_in_stored_order:
            disordered += 1
            v.problem(f"OUT OF ORDER: {sender}'s events in chat {chat_id}")
    v.figures.update(
        {
            "events sent": len(ledger.sent),
            "events acknowledged": counts[ACKED],
            "events unknown (no answer)": counts[UNKNOWN],
            "events unknown and stored": unknown_stored,
            "events refused": counts[REFUSED],
            "events stored": len(stored),
            "events checked": sum(1 for s in ledger.sent if s.outcome != UNKNOWN) + unknown_stored,
            "events lost": len(lost),
            "events duplicated": len(doubled),
            "senders out of order": disordered,
        }
    )


def webhooks_missing(stored: list[Stored], hits: list[Hit]) -> set[str]:
    delivered = {tag for h in hits if 200 <= h.status < 300 for tag in h.tags}
    return {s.tag for s in stored} - delivered


def check_webhooks(
    ledger: Ledger, stored: list[Stored], hits: list[Hit], outbox: dict[str, float], v: Verdict
) -> None:
    """`outbox`: the server's own count of pending and failed deliveries (/metrics) at the
    end, which tells a webhook that is late (still pending) from one that is lost."""
    acked = {s.tag for s in ledger.sent if s.outcome == ACKED}
    stored_tags = {s.tag for s in stored}
    position = {s.tag: (s.chat_id, s.position) for s in stored}
    missing = webhooks_missing(stored, hits)
    if missing:
        v.problem(
            f"WEBHOOKS NOT DELIVERED: {len(missing)} stored events' webhooks never came; the "
            f"outbox still holds {outbox.get('pending', '?')} pending and "
            f"{outbox.get('failed', '?')} failed deliveries"
        )
    for tag in sorted(missing)[:10]:
        state = "acknowledged" if tag in acked else "stored (unacknowledged)"
        v.problem(f"WEBHOOK NOT DELIVERED: {tag} is {state} and its webhook never came")
    # The same change must always come with the same delivery id.
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for h in hits:
        for tag in h.tags:
            ids[(h.action, tag)].add(h.delivery_id)
    doubled = {key: d for key, d in ids.items() if len(d) > 1}
    for (action, tag), d in sorted(doubled.items())[:20]:
        v.problem(f"WEBHOOK DUPLICATE: {action} of {tag} came with {len(d)} delivery ids")
    phantom = sorted({tag for h in hits for tag in h.tags} - stored_tags)
    for tag in phantom[:20]:
        v.problem(f"PHANTOM WEBHOOK: a webhook of {tag}, which is not stored")
    # One chat's webhooks of one action come in the order of its events (first delivery).
    seen: set[str] = set()
    order: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for h in sorted((h for h in hits if 200 <= h.status < 300), key=lambda h: h.at):
        if h.delivery_id in seen:
            continue
        seen.add(h.delivery_id)
        for tag in h.tags:
            if tag in position:
                chat_id, pos = position[tag]
                order[(h.path, chat_id)].append((pos, tag))
    disordered = 0
    for (path, chat_id), arrived in order.items():
        if arrived != sorted(arrived):
            disordered += 1
            v.problem(f"WEBHOOK ORDER: {path} of chat {chat_id} out of the events' order")
    delivered = [h for h in hits if 200 <= h.status < 300]
    repeats = len(delivered) - len({h.delivery_id for h in delivered})
    v.figures.update(
        {
            "webhooks checked": len(stored_tags) - len(missing),
            "webhooks lost": len(missing),
            "webhook deliveries pending in the outbox at the end": outbox.get("pending"),
            "webhook requests received": len(hits),
            "webhook requests answered 500": sum(1 for h in hits if h.status >= 500),
            "webhook repeats with the same delivery id": repeats,
            "webhooks duplicated with another delivery id": len(doubled),
            "webhook chats out of order": disordered,
        }
    )


async def check_files(web: Web, ledger: Ledger, stored: list[Stored], v: Verdict) -> None:
    """Every stored file event's URL serves the bytes its sender uploaded."""
    sha = {s.tag: s.file_sha256 for s in ledger.sent if s.file_sha256}
    ok = 0
    for s in stored:
        if s.type != "file":
            continue
        if not s.url:
            v.problem(f"FILE: {s.tag} has no url")
            continue
        try:
            resp = await web.get(s.url)
        except Exception as exc:
            v.problem(f"FILE: {s.tag} could not be downloaded: {exc!r}")
            continue
        if resp.status_code != 200 or hashlib.sha256(resp.content).hexdigest() != sha.get(s.tag):
            v.problem(f"FILE: {s.tag} is served with other bytes (HTTP {resp.status_code})")
            continue
        ok += 1
    v.figures["files acknowledged"] = sum(
        1 for s in ledger.sent if s.kind == "file" and s.outcome == ACKED
    )
    v.figures["files downloaded intact"] = ok
