"""Entity resolution: which mentions in different cases are the same person, phone, address ...

Strong identifiers (ID numbers, phones, plates, waybills, bank accounts, licence numbers,
credit codes) match exactly after normalisation; an invalid identifier matches only the same
invalid text. A company named with its credit code matches that code; one named without it
matches the same name minus its legal form (the two are not joined: different companies
share names). Weak identifiers match fuzzily, and only with a second piece of evidence:

- a person without a valid ID number matches another record when the names agree (same
  characters, or the same pinyin: 张伟 / 张玮) *and* either the ID numbers differ by one typed
  character or one swap (or two characters, with the same birth date) or both records carry
  the same phone. A person's phone is the one given with them, or a phone of the case in the
  same role when the case names one person in that role (or one person at all);
- addresses in the same county (named in the address, else the case's county) match when
  their local parts are alike (rapidfuzz ratio) and their house numbers are equal.

Two records with different *valid* ID numbers are never the same person, however alike the
rest: a merge that would join them is refused and recorded in ``refused``. Every fuzzy match
carries a score and the reasons for it.

Blocking keeps the work near-linear: a record is only compared with records that share a birth
date, an ID number minus its birth date, or a phone; an address only with addresses of the same
county and house numbers. The resolver is incremental: :meth:`EntityResolver.add` compares the
new mentions with what it holds, so adding a case does not redo the rest.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from math import comb
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from gridmgmt.cases.identifiers import (
    NORMALISERS,
    NormalisedIdentifier,
    char_readings,
    name_pinyin,
    normalise_address,
    normalise_id_number,
    normalise_name,
    normalise_phone,
)
from gridmgmt.cases.model import EntityKind, Mention


@dataclass(frozen=True, slots=True)
class ResolutionSettings:
    """Thresholds of entity resolution.

    Parameters
    ----------
    person_threshold
        Score from which two person records are merged.
    name_agreement
        Name similarity (1 same characters, 0.9 same pinyin, else character ratio) that
        counts as "the names agree".
    address_threshold
        rapidfuzz ratio (0-100) from which two addresses of one county, with equal house
        numbers, are the same place.
    address_block_limit
        Larger address blocks are split by their first character to bound the work.
    counties
        County code -> name, to tie addresses to counties (see
        :func:`gridmgmt.cases.identifiers.county_table`). Addresses naming no county are
        presumed to lie in the county of their case.
    today
        Reference date for ID-number birth dates (default: today).
    """

    person_threshold: float = 0.85
    name_agreement: float = 0.9
    address_threshold: float = 90.0
    address_block_limit: int = 3000
    counties: Mapping[str, str] | None = None
    today: date | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """Two mentions found to be the same entity, with the score and the reasons."""

    kind: EntityKind
    left: int
    right: int
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entity:
    """A resolved entity: every mention of it, and what they tell together."""

    entity_id: str
    kind: EntityKind
    label: str
    valid: bool
    mentions: tuple[int, ...]
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Person:
    """A person record: one person or id_number mention, with what it can be matched on."""

    mention: int
    name: str | None
    id_value: str | None
    id_valid: bool
    birth: date | None
    phones: tuple[str, ...] = ()


@dataclass(slots=True)
class ResolutionChange:
    """What one :meth:`EntityResolver.add` call changed.

    ``merged`` maps entity ids that existed before the call and no longer exist to the id of
    the entity that absorbed them.
    """

    mentions: range
    merged: dict[str, str] = field(default_factory=dict)
    matches: list[Match] = field(default_factory=list)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Building millions of small objects triggers full collections whose cost grows with the
    heap (a third of the time at 100,000 mentions, more beyond); nothing built here forms
    cycles, so pausing loses nothing. The previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Atoms are what the union-find joins: a string per distinct strong identifier or address,
# ``idn:<ID number>`` per valid ID number, and an int (the mention index) per person record.
# An entity is a set of atoms, named after its best atom: a valid ID number first.
Atom = str | int


def _rank(atom: Atom) -> tuple[int, str, int]:
    if isinstance(atom, int):
        return (1, "", atom)
    return (0 if atom.startswith("idn:") else 1, atom, 0)


def _entity_id(atom: Atom) -> str:
    if isinstance(atom, int):
        return f"person:#{atom}"
    if atom.startswith("idn:"):
        return f"person:{atom[4:]}"
    return atom


class EntityResolver:
    """Resolves mentions into entities, incrementally.

    Parameters
    ----------
    settings
        Thresholds; the defaults suit the noise seen in case files.

    Examples
    --------
    >>> resolver = EntityResolver()
    >>> change = resolver.add([Mention("A1", EntityKind.PHONE, "139 4746 1234")], {"A1": "150924"})
    >>> resolver.entity_id(0)
    'phone:+8613947461234'
    """

    def __init__(self, *, settings: ResolutionSettings | None = None) -> None:
        self.settings = settings or ResolutionSettings()
        self.mentions: list[Mention] = []
        self.identifiers: list[NormalisedIdentifier] = []
        self.matches: list[Match] = []
        self.refused: list[Match] = []
        self._atom_of: list[Atom] = []
        self._parent: dict[Atom, Atom] = {}
        self._best: dict[Atom, Atom] = {}
        self._valid_ids: dict[Atom, str] = {}
        self._members: dict[Atom, list[int]] = {}
        self._case_mentions: dict[str, list[int]] = {}
        # kind -> raw text -> (identifier, its atom when that does not depend on the case)
        self._cache: dict[EntityKind, dict[str, tuple[NormalisedIdentifier, str | None]]] = {
            kind: {} for kind in EntityKind
        }
        self._persons: dict[int, _Person] = {}
        self._by_birth: dict[date, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        self._by_id_part: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        self._by_phone: dict[str, list[int]] = defaultdict(list)
        self._address_blocks: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        self._address_local: dict[str, str] = {}
        self._address_block_of: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._absorbed: list[tuple[str, Atom]] = []
        self._track_merges = False
        self._today = self.settings.today or date.today()

    # --- public API ------------------------------------------------------------------------

    def add(
        self, mentions: Sequence[Mention], case_counties: Mapping[str, str]
    ) -> ResolutionChange:
        """Resolve new mentions against everything already held.

        Parameters
        ----------
        mentions
            The mentions of one or more cases, each case's complete (a person's phone is read
            from the other mentions of the case).
        case_counties
            Case number -> county code, for addresses that name no county.
        """
        with paused_gc():
            return self._add(mentions, case_counties)

    def _add(
        self, mentions: Sequence[Mention], case_counties: Mapping[str, str]
    ) -> ResolutionChange:
        start = len(self.mentions)
        change = ResolutionChange(range(start, start + len(mentions)))
        self._absorbed = []
        self._track_merges = start > 0
        new_persons: list[int] = []
        new_addresses: list[str] = []
        person_kinds = (EntityKind.PERSON, EntityKind.ID_NUMBER)
        case_mentions = self._case_mentions
        for offset, mention in enumerate(mentions):
            index = start + offset
            self.mentions.append(mention)
            case_mentions.setdefault(mention.case_no, []).append(index)
            if mention.kind in person_kinds:
                atom, identifier = self._atomise_person(index, mention)
                new_persons.append(index)
            else:
                atom, identifier = self._atomise(index, mention, case_counties)
                if mention.kind is EntityKind.ADDRESS and self._register_address(atom, identifier):
                    new_addresses.append(str(atom))
            self.identifiers.append(identifier)
            self._atom_of.append(atom)
        self._attach_phones(start, mentions)
        matches = self._match_persons(new_persons) + self._match_addresses(new_addresses)
        matches.sort(key=lambda m: (-m.score, m.left, m.right))
        for match in matches:
            if self._union(self._atom_of[match.left], self._atom_of[match.right]):
                change.matches.append(match)
                self.matches.append(match)
            else:
                self.refused.append(match)
        for old, atom in self._absorbed:
            current = _entity_id(self._best[self._find(atom)])
            if current != old:
                change.merged[old] = current
        self._absorbed = []
        return change

    def entity_id(self, mention: int) -> str:
        """Id of the entity a mention resolved to (``phone:+86139...``, ``person:1509...``)."""
        return _entity_id(self._best[self._find(self._atom_of[mention])])

    def entity_ids(self) -> list[str]:
        """Entity id of every mention, in mention order."""
        return [self.entity_id(index) for index in range(len(self.mentions))]

    def members(self, entity_id: str) -> list[int]:
        """Mention indices of an entity, in order."""
        return sorted(self._members[self._root_of_entity(entity_id)])

    def cases_of(self, entity_id: str) -> list[str]:
        """Case numbers that mention an entity."""
        members = self._members[self._root_of_entity(entity_id)]
        return sorted({self.mentions[index].case_no for index in members})

    def mentions_of_case(self, case_no: str) -> list[int]:
        """Mention indices of a case, in order (empty for an unknown case)."""
        return list(self._case_mentions.get(case_no, []))

    def linking_entities(self) -> list[str]:
        """Ids of the entities mentioned by two or more cases."""
        linking = []
        mentions = self.mentions
        for root, members in self._members.items():
            if len(members) < 2:
                continue
            first = mentions[members[0]].case_no
            if any(mentions[index].case_no != first for index in members):
                linking.append(_entity_id(self._best[root]))
        return linking

    def entity(self, entity_id: str) -> Entity:
        """The entity with this id: its mentions, label, validity and what they tell.

        Raises
        ------
        KeyError
            If no entity has this id.
        """
        root = self._root_of_entity(entity_id)
        mentions = tuple(sorted(self._members[root]))
        kind = self.mentions[mentions[0]].kind
        if kind in (EntityKind.PERSON, EntityKind.ID_NUMBER):
            return self._person_entity(entity_id, root, mentions)
        identifiers = [self.identifiers[index] for index in mentions]
        valid = any(identifier.valid for identifier in identifiers)
        best = next((i for i in identifiers if i.valid), identifiers[0])
        attributes = dict(best.attributes)
        spellings = sorted({i.raw for i in identifiers})
        if len(spellings) > 1:
            attributes["spellings"] = spellings
        if not valid:
            attributes["reason"] = best.reason
        return Entity(entity_id, kind, best.value, valid, mentions, attributes)

    def summary(self, entity_id: str) -> dict[str, Any]:
        """Kind, label and validity of an entity, cheaply (for graph nodes).

        ``verified`` is set for a person with a valid ID number and a company with a valid
        credit code; ``province_code`` for a person is the region of the ID number, and
        ``county_code`` for an address its county.
        """
        root = self._root_of_entity(entity_id)
        members = self._members[root]
        first = members[0]
        kind = self.mentions[first].kind
        if kind is EntityKind.PERSON or kind is EntityKind.ID_NUMBER:
            id_number = self._valid_ids.get(root)
            names = Counter(self._persons[i].name for i in members if self._persons[i].name)
            name = min(names, key=lambda n: (-names[n], n)) if names else "?"
            summary: dict[str, Any] = {
                "kind": "person",
                "label": f"{name} ({id_number})" if id_number else name,
                "valid": id_number is not None,
                "verified": id_number is not None,
            }
            if id_number:
                summary["province_code"] = id_number[:2]
            return summary
        identifier = self.identifiers[first]
        valid = identifier.valid
        summary = {"kind": kind.value, "label": identifier.value or identifier.raw, "valid": valid}
        if kind is EntityKind.COMPANY:
            summary["verified"] = valid and "uscc" in identifier.attributes
        elif kind is EntityKind.ADDRESS:
            summary["county_code"] = entity_id.split(":", 2)[1]
        return summary

    # --- atoms and the union-find ----------------------------------------------------------

    def _find(self, atom: Atom) -> Atom:
        parent = self._parent
        root = atom
        while parent[root] != root:
            root = parent[root]
        while parent[atom] != root:
            parent[atom], atom = root, parent[atom]
        return root

    def _root_of_entity(self, entity_id: str) -> Atom:
        kind, _, rest = entity_id.partition(":")
        atom: Atom = entity_id
        if kind == "person":
            atom = int(rest[1:]) if rest.startswith("#") and rest[1:].isdigit() else f"idn:{rest}"
        if atom not in self._parent:
            msg = f"no entity {entity_id!r}"
            raise KeyError(msg)
        return self._find(atom)

    def _new_atom(self, atom: Atom) -> None:
        if atom not in self._parent:
            self._parent[atom] = atom
            self._best[atom] = atom
            self._members[atom] = []

    def _union(self, left: Atom, right: Atom) -> bool:
        """Join two atoms' entities; refuse (False) when they hold different valid IDs."""
        a, b = self._find(left), self._find(right)
        if a == b:
            return True
        id_a, id_b = self._valid_ids.get(a), self._valid_ids.get(b)
        if id_a and id_b and id_a != id_b:
            return False
        if len(self._members[a]) < len(self._members[b]):
            a, b = b, a
        best_a, best_b = self._best[a], self._best.pop(b)
        best = min(best_a, best_b, key=_rank)
        if self._track_merges:
            loser = best_b if best == best_a else best_a
            self._absorbed.append((_entity_id(loser), a))
        self._parent[b] = a
        self._best[a] = best
        self._members[a].extend(self._members.pop(b))
        carried = self._valid_ids.pop(b, None)
        if carried:
            self._valid_ids[a] = carried
        return True

    def _normalise(self, kind: EntityKind, raw: str) -> NormalisedIdentifier:
        cache = self._cache[kind]
        cached = cache.get(raw)
        if cached is not None:
            return cached[0]
        if kind is EntityKind.ID_NUMBER:
            identifier = normalise_id_number(raw, today=self._today)
        elif kind is EntityKind.PHONE:
            identifier = normalise_phone(raw, geocode=False)
        elif kind is EntityKind.ADDRESS:
            identifier = normalise_address(raw, counties=self.settings.counties)
        else:
            identifier = NORMALISERS[kind](raw)
        cache[raw] = (identifier, None)
        return identifier

    def _atomise(
        self, index: int, mention: Mention, case_counties: Mapping[str, str]
    ) -> tuple[Atom, NormalisedIdentifier]:
        kind = mention.kind
        raw = mention.value or ""
        cached = self._cache[kind].get(raw)
        if cached is not None and cached[1] is not None:
            shared_atom = cached[1]
            self._members[self._find(shared_atom)].append(index)
            return shared_atom, cached[0]
        identifier = self._normalise(kind, raw)
        shared = True
        if kind is EntityKind.ADDRESS:
            shared = "county_code" in identifier.attributes
            atom = self._address_atom(index, identifier, case_counties.get(mention.case_no, ""))
        elif kind is EntityKind.COMPANY:
            atom = self._company_atom(index, identifier)
        elif identifier.value:
            mark = "" if identifier.valid else "!"
            atom = f"{kind.value}:{mark}{identifier.value}"
        else:
            atom = f"{kind.value}:!#{index}"
        self._new_atom(atom)
        if shared and "!#" not in atom:
            self._cache[kind][raw] = (identifier, atom)
        self._members[self._find(atom)].append(index)
        return atom, identifier

    def _company_atom(self, index: int, identifier: NormalisedIdentifier) -> str:
        """A company's atom: its credit code if given, else its name without legal form.

        A code and a bare name are not joined: different companies share names, and one
        joined name would glue their codes together.
        """
        if "uscc" in identifier.attributes:
            mark = "" if identifier.valid else "!"
            return f"company:{mark}{identifier.value}"
        if identifier.valid:
            return f"company:~{identifier.attributes['core_name']}"
        return f"company:!#{index}"

    def _address_atom(self, index: int, identifier: NormalisedIdentifier, case_county: str) -> str:
        if not identifier.valid:
            return f"address::!#{index}"
        county = identifier.attributes.get("county_code") or case_county
        return f"address:{county}:{identifier.attributes['local']}"

    def _register_address(self, atom: Atom, identifier: NormalisedIdentifier) -> bool:
        """Put a first-seen address in its block; True if it is new."""
        if not isinstance(atom, str) or "!#" in atom or atom in self._address_local:
            return False
        key = (atom.split(":", 2)[1], tuple(identifier.attributes.get("numbers", ())))
        self._address_local[atom] = identifier.attributes["local"]
        self._address_block_of[atom] = key
        self._address_blocks[key].append(atom)
        return True

    # --- persons ---------------------------------------------------------------------------

    def _atomise_person(self, index: int, mention: Mention) -> tuple[Atom, NormalisedIdentifier]:
        raw_id = mention.id_number if mention.kind is EntityKind.PERSON else mention.value
        id_identifier = self._normalise(EntityKind.ID_NUMBER, raw_id) if raw_id else None
        name_identifier = (
            self._normalise(EntityKind.PERSON, mention.name)
            if mention.kind is EntityKind.PERSON and mention.name
            else None
        )
        record = _Person(
            mention=index,
            name=name_identifier.value if name_identifier and name_identifier.value else None,
            id_value=id_identifier.value if id_identifier else None,
            id_valid=bool(id_identifier and id_identifier.valid),
            birth=id_identifier.attributes.get("birth_date") if id_identifier else None,
        )
        if mention.kind is EntityKind.PERSON and mention.phone:
            record.phones = (self._normalise(EntityKind.PHONE, mention.phone).value,)
        self._persons[index] = record
        self._new_atom(index)
        self._members[index].append(index)
        if id_identifier is not None and id_identifier.valid:
            id_atom = f"idn:{id_identifier.value}"
            if id_atom not in self._parent:
                self._new_atom(id_atom)
                self._valid_ids[id_atom] = id_identifier.value
            self._union(id_atom, index)
        return index, _person_identifier(mention, id_identifier, name_identifier)

    def _attach_phones(self, start: int, mentions: Sequence[Mention]) -> None:
        """Give each person record the phones its case ties to it.

        A phone belongs to a person when the case names exactly one person in the phone's
        role, or when the case has a single person and the phone has no role of its own.
        """
        by_case: dict[str, list[int]] = defaultdict(list)
        for offset, mention in enumerate(mentions):
            if mention.kind is EntityKind.PERSON or mention.kind is EntityKind.PHONE:
                by_case[mention.case_no].append(start + offset)
        for indices in by_case.values():
            persons = [i for i in indices if self.mentions[i].kind is EntityKind.PERSON]
            if not persons or len(indices) == len(persons):
                continue
            by_role: dict[str, list[int]] = defaultdict(list)
            for index in persons:
                by_role[self.mentions[index].role.strip()].append(index)
            for index in indices:
                mention = self.mentions[index]
                value = self.identifiers[index].value
                if mention.kind is not EntityKind.PHONE or not value:
                    continue
                role = mention.role.strip()
                owners = by_role.get(role, []) if role else persons
                if len(owners) == 1 and value not in self._persons[owners[0]].phones:
                    record = self._persons[owners[0]]
                    record.phones = (*record.phones, value)

    def _match_persons(self, new: Iterable[int]) -> list[Match]:
        matches = []
        threshold = self.settings.person_threshold
        for index in new:
            record = self._persons[index]
            for other in sorted(self._person_candidates(record)):
                match = self.compare_persons(self._persons[other], record)
                if match is not None and match.score >= threshold:
                    matches.append(match)
            self._index_person(record)
        return matches

    def _person_candidates(self, record: _Person) -> set[int]:
        """Earlier records sharing a block; a record with a valid ID skips others with one."""
        candidates: set[int] = set()
        blocks: list[tuple[list[int], list[int]]] = []
        if record.birth is not None:
            blocks.append(self._by_birth[record.birth])
        if record.id_value and len(record.id_value) == 18:
            blocks.append(self._by_id_part[_id_part(record.id_value)])
        for valid, other in blocks:
            candidates.update(other)
            if not record.id_valid:
                candidates.update(valid)
        for phone in record.phones:
            for other_index in self._by_phone[phone]:
                if not (record.id_valid and self._persons[other_index].id_valid):
                    candidates.add(other_index)
        candidates.discard(record.mention)
        return candidates

    def _index_person(self, record: _Person) -> None:
        slot = 0 if record.id_valid else 1
        if record.birth is not None:
            self._by_birth[record.birth][slot].append(record.mention)
        if record.id_value and len(record.id_value) == 18:
            self._by_id_part[_id_part(record.id_value)][slot].append(record.mention)
        for phone in record.phones:
            self._by_phone[phone].append(record.mention)

    def compare_persons(self, left: _Person, right: _Person) -> Match | None:
        """Score two person records; None when nothing ties them or something rules them out.

        Names must agree (same characters or same pinyin) whenever both records have one.
        Evidence, from strongest: the same ID number that fails its check (0.97); ID numbers
        one typed character or one swap apart (0.95); the same birth date with IDs two
        characters apart (0.88); the same phone with one side lacking an ID number (0.9).
        A shared phone next to ID evidence raises the score. Different ID numbers beyond those
        slips rule a match out.
        """
        if left.id_valid and right.id_valid:
            return None
        both_named = bool(left.name and right.name)
        name_score, name_reason = _name_similarity(left.name, right.name)
        if both_named and name_score < self.settings.name_agreement:
            return None
        shared = sorted(set(left.phones) & set(right.phones))
        if left.id_value and right.id_value:
            relation = _id_relation(left.id_value, right.id_value)
            if relation == "same":
                score, reasons = 0.97, ["same ID number (it fails its check)"]
            elif relation and both_named:
                score, reasons = 0.95, [relation]
            elif (
                both_named
                and left.birth is not None
                and left.birth == right.birth
                and _hamming(left.id_value, right.id_value) <= 2
            ):
                score, reasons = 0.88, ["same birth date, ID numbers two characters apart"]
            else:
                return None
            if shared:
                score, reasons = min(0.99, score + 0.05), [*reasons, f"same phone {shared[0]}"]
        elif shared and both_named:
            score, reasons = 0.9, [f"same phone {shared[0]}"]
        else:
            return None
        if name_reason:
            reasons.append(name_reason)
        return Match(EntityKind.PERSON, left.mention, right.mention, score, tuple(reasons))

    def _person_entity(self, entity_id: str, root: Atom, mentions: tuple[int, ...]) -> Entity:
        records = [self._persons[index] for index in mentions]
        names = Counter(record.name for record in records if record.name)
        id_number = self._valid_ids.get(root)
        attributes: dict[str, Any] = {"names": sorted(names, key=lambda n: (-names[n], n))}
        if id_number:
            valid = next(
                self.identifiers[index]
                for index in mentions
                if self.identifiers[index].valid and self.identifiers[index].value == id_number
            )
            attributes |= {k: v for k, v in valid.attributes.items() if k not in ("name", "pinyin")}
            attributes["id_number"] = id_number
        birth = next((r.birth for r in records if r.birth), None)
        if birth:
            attributes["birth_date"] = birth
        phones = sorted({phone for record in records for phone in record.phones})
        if phones:
            attributes["phones"] = phones
        others = sorted({r.id_value for r in records if r.id_value and r.id_value != id_number})
        if others:
            attributes["other_id_numbers"] = others
        name = attributes["names"][0] if attributes["names"] else "?"
        label = f"{name} ({id_number})" if id_number else name
        return Entity(
            entity_id, EntityKind.PERSON, label, id_number is not None, mentions, attributes
        )

    # --- addresses -------------------------------------------------------------------------

    def _match_addresses(self, new: Sequence[str]) -> list[Match]:
        """Compare new addresses with the addresses of their block (same county, numbers)."""
        by_block: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for atom in new:
            by_block[self._address_block_of[atom]].append(atom)
        matches: list[Match] = []
        limit = self.settings.address_block_limit
        for key, fresh in by_block.items():
            fresh_set = set(fresh)
            old = [atom for atom in self._address_blocks[key] if atom not in fresh_set]
            for old_part, new_part in _split_block(old, fresh, limit, self._address_local):
                matches.extend(self._compare_addresses(old_part, new_part))
        return matches

    def _compare_addresses(self, old: list[str], new: list[str]) -> list[Match]:
        threshold = self.settings.address_threshold
        new_locals = [self._address_local[atom] for atom in new]
        found: list[tuple[str, str, float]] = []
        if len(new) > 1:
            scores = process.cdist(
                new_locals, new_locals, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
            )
            rows, cols = np.nonzero(np.triu(scores, k=1))
            found.extend(
                (new[i], new[j], float(scores[i, j])) for i, j in zip(rows, cols, strict=True)
            )
        if old:
            old_locals = [self._address_local[atom] for atom in old]
            scores = process.cdist(
                new_locals, old_locals, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
            )
            rows, cols = np.nonzero(scores)
            found.extend(
                (new[i], old[j], float(scores[i, j])) for i, j in zip(rows, cols, strict=True)
            )
        matches = []
        for a, b, score in found:
            left = min(self._members[self._find(a)])
            right = min(self._members[self._find(b)])
            left, right = min(left, right), max(left, right)
            local_a, local_b = self._address_local[a], self._address_local[b]
            reasons = (
                f"addresses {score:.0f}% alike: {local_a!r} / {local_b!r}",
                "same county and house numbers",
            )
            matches.append(Match(EntityKind.ADDRESS, left, right, round(score / 100, 3), reasons))
        return matches


def _split_block(
    old: list[str], new: list[str], limit: int, local: Mapping[str, str]
) -> list[tuple[list[str], list[str]]]:
    """Split a large block by the first character of the local address to bound the work."""
    if len(old) + len(new) <= limit:
        return [(old, new)]
    groups: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for atom in old:
        groups[local[atom][:1]][0].append(atom)
    for atom in new:
        groups[local[atom][:1]][1].append(atom)
    return [group for group in groups.values() if group[1]]


def _name_similarity(left: str | None, right: str | None) -> tuple[float, str | None]:
    """1 for the same name, 0.9 for the same sound (张伟 / 张玮), else the character ratio."""
    if not left or not right:
        return 0.0, None
    if left == right:
        return 1.0, f"same name {left}"
    if len(left) == len(right) and all(
        char_readings(a) & char_readings(b) for a, b in zip(left, right, strict=True)
    ):
        return 0.9, f"names sound the same: {left} / {right} ({name_pinyin(left)})"
    ratio = fuzz.ratio(left, right) / 100
    return ratio, f"names {ratio:.0%} alike: {left} / {right}"


def _person_identifier(
    mention: Mention,
    id_identifier: NormalisedIdentifier | None,
    name_identifier: NormalisedIdentifier | None,
) -> NormalisedIdentifier:
    """The identifier shown for a person mention: the ID number, with the name beside it."""
    if id_identifier is None:
        return name_identifier or normalise_name("")
    if name_identifier is None:
        return id_identifier
    attributes = dict(id_identifier.attributes)
    attributes |= {"name": name_identifier.value, "pinyin": name_identifier.attributes["pinyin"]}
    return NormalisedIdentifier(
        EntityKind.PERSON,
        mention.text,
        id_identifier.value,
        id_identifier.valid,
        id_identifier.reason,
        attributes,
    )


def _id_part(id_value: str) -> str:
    """An ID number without its birth date: region and sequence (a block for birth-date slips)."""
    return id_value[:6] + id_value[14:17]


def _hamming(left: str, right: str) -> int:
    if len(left) != len(right):
        return max(len(left), len(right))
    return sum(a != b for a, b in zip(left, right, strict=True))


def _id_relation(left: str, right: str) -> str | None:
    """'same', a description of a one-character slip, or None when the IDs are unrelated."""
    if left == right:
        return "same"
    if len(left) != len(right):
        return None
    differ = [i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
    if len(differ) == 1:
        return f"ID numbers differ in one character (position {differ[0] + 1})"
    if (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and left[differ[0]] == right[differ[1]]
        and left[differ[1]] == right[differ[0]]
    ):
        return (
            f"ID numbers differ by two swapped digits (positions {differ[0] + 1}-{differ[1] + 1})"
        )
    return None


def resolve_entities(
    mentions: Sequence[Mention],
    case_counties: Mapping[str, str],
    *,
    settings: ResolutionSettings | None = None,
) -> EntityResolver:
    """Resolve all mentions at once (the mentions of each case together).

    Parameters
    ----------
    mentions
        Every mention.
    case_counties
        Case number -> county code.
    settings
        Thresholds.
    """
    resolver = EntityResolver(settings=settings)
    resolver.add(mentions, case_counties)
    return resolver


def pair_precision_recall(
    predicted: Sequence[Hashable], truth: Sequence[Hashable]
) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true one.

    Parameters
    ----------
    predicted
        Predicted cluster label of each item.
    truth
        True cluster label of each item, aligned with ``predicted``.

    Returns
    -------
    tuple
        (precision, recall) over pairs of items; 1.0 where there are no pairs to judge.
    """
    if len(predicted) != len(truth):
        msg = f"predicted has {len(predicted)} labels but truth has {len(truth)}"
        raise ValueError(msg)
    both = Counter(zip(predicted, truth, strict=True))
    together = sum(comb(n, 2) for n in both.values())
    predicted_pairs = sum(comb(n, 2) for n in Counter(predicted).values())
    true_pairs = sum(comb(n, 2) for n in Counter(truth).values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    return precision, recall
