"""Personal data in cases (个人信息): who reads it, and how it is masked for the others.

Case work needs the identifiers that link cases: names, ID numbers, phones, plates, bank
accounts, waybills. They go only to the roles that work cases
(:data:`~gridmgmt.policy.Action.READ_CASE_PERSONAL_DATA`: officer, liaison, admin). A role that
may read cases but not personal data (the dispatcher, who plans delivery routes and needs to
know what is happening in a county, not who is involved) gets:

- a case, the case list, the network list and a network's detail **with the personal
  identifiers masked** (``张*``, ``+86***********34``) and the mentions' attributes (birth
  date, home region, pinyin ...) left out; ``redacted`` says so on a case;
- a **refusal** (403 / exit 4) for the link-analysis tools, whose whole content is those
  identifiers: merge suggestions, chains between cases, network exports and the network page
  with its link chart.

Companies, addresses and licence numbers are not personal data and are shown as they are.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Final

from gridmgmt.domain import EntityKind
from gridmgmt.policy import Action, allows

if TYPE_CHECKING:
    from gridmgmt.cases.networks import Network
    from gridmgmt.services.actor import Actor
    from gridmgmt.services.cases.results import CentralEntity, MentionDetail, TimelineItem

__all__ = [
    "PERSONAL_KINDS",
    "mask",
    "mask_entity_id",
    "redact_central",
    "redact_mention",
    "redact_network",
    "redact_timeline",
    "sees_personal_data",
]

PERSONAL_KINDS: Final[frozenset[str]] = frozenset(
    kind.value
    for kind in (
        EntityKind.PERSON,
        EntityKind.ID_NUMBER,
        EntityKind.PHONE,
        EntityKind.PLATE,
        EntityKind.BANK_ACCOUNT,
        EntityKind.WAYBILL,
    )
)
"""Kinds of entity whose values identify a person (directly or through a vehicle, an
account or a parcel)."""

MASK: Final = "*"
_TOKEN: Final = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]+|[0-9A-Za-z+]+")
"""A run of Chinese characters (a name), or of letters and digits (a number)."""


def sees_personal_data(actor: Actor) -> bool:
    """Whether the actor's role may read the personal identifiers in cases."""
    return allows(actor.role, Action.READ_CASE_PERSONAL_DATA)


def mask(text: str | None) -> str | None:
    """``text`` with each name and number masked but for its ends: one character of a short
    one, a quarter at each end of a longer one (``张伟 (150924198503151230)`` ->
    ``张* (1509**********1230)``, ``+8613947461234`` -> ``+86********234``, ``晋B12345`` ->
    ``晋B****5``)."""
    if not text:
        return text
    return _TOKEN.sub(lambda match: _mask_token(match.group()), text)


def _mask_token(token: str) -> str:
    if len(token) <= 3:
        return token[0] + MASK * (len(token) - 1)
    keep = max(1, len(token) // 4)
    return token[:keep] + MASK * (len(token) - 2 * keep) + token[-keep:]


def mask_entity_id(entity_id: str) -> str:
    """An entity id with its identifier masked (``phone:+8613947461234`` -> ``phone:+86...``);
    ids of kinds that are not personal are returned as they are."""
    kind, _, key = entity_id.partition(":")
    if kind not in PERSONAL_KINDS:
        return entity_id
    return f"{kind}:{mask(key)}"


def redact_mention(mention: MentionDetail) -> MentionDetail:
    """A mention as a role without personal data sees it."""
    if mention.kind not in PERSONAL_KINDS:
        return mention
    return mention.model_copy(
        update={
            "value": mask(mention.value),
            "name": mask(mention.name),
            "id_number": mask(mention.id_number),
            "phone": mask(mention.phone),
            "normalised": mask(mention.normalised) or "",
            "attributes": {},
            "entity_id": None if mention.entity_id is None else mask_entity_id(mention.entity_id),
        }
    )


def redact_central(item: CentralEntity) -> CentralEntity:
    """A central person or phone, masked."""
    if item.kind not in PERSONAL_KINDS:
        return item
    return item.model_copy(
        update={"label": mask(item.label) or "", "entity_id": mask_entity_id(item.entity_id)}
    )


def redact_timeline(item: TimelineItem) -> TimelineItem:
    """A timeline entry with the shared entities' labels masked (their kinds are not kept)."""
    return item.model_copy(
        update={"linked_to_earlier": [mask(label) or "" for label in item.linked_to_earlier]}
    )


def _redact_signal(signal: str) -> str:
    label, sep, rest = signal.partition(": ")
    return f"{mask(label)}{sep}{rest}" if sep else signal


def redact_network(network: Network) -> Network:
    """A network with the people and phones of its cross-province signals masked."""
    signals = tuple(_redact_signal(s) for s in network.cross_province_signals)
    return dataclasses.replace(network, cross_province_signals=signals)
