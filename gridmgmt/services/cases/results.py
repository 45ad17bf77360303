"""What the case services answer: typed results both faces serialise the same way.

The API returns these models as they are; the CLI prints
:func:`gridmgmt.services.results.jsonable` of the same objects for ``--json``. Field names are
those the API has always answered. Networks and their timelines stay the engine's frozen
dataclasses (:class:`~gridmgmt.cases.networks.Network`), which serialise to the same fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridmgmt.services.results import Result

if TYPE_CHECKING:
    from gridmgmt.cases.graph import Evidence
    from gridmgmt.cases.networks import Centrality, Chain, MergeSuggestion, TimelineEntry

__all__ = [
    "CaseDetail",
    "CaseImportReport",
    "CasePage",
    "CaseShare",
    "CaseSummary",
    "CentralEntity",
    "ChainLink",
    "ChainResult",
    "EvidenceItem",
    "MentionDetail",
    "MergeSuggestionItem",
    "NetworkDetail",
    "NetworkShare",
    "TimelineItem",
]


class CaseImportReport(Result):
    """What an import of a case file did (the fields of every import report).

    ``rows`` counts cases; inserted, updated and unchanged count cases too.
    """

    kind: str = "cases"
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    crs: str
    ignored_columns: tuple[str, ...] = ()


class CaseSummary(Result):
    """A stored case, without its mentions. ``own``: of one of the caller's counties.

    ``key`` names the case over all counties (``county_code/case_no``), as networks, chains
    and merge suggestions list cases: a case number is unique only within its county.
    """

    case_no: str
    county_code: str
    key: str
    opened_on: str
    type: str
    type_zh: str
    status: str
    status_zh: str
    lon: float | None
    lat: float | None
    seized_cartons: float | None
    value_yuan: float | None
    summary: str
    own: bool
    updated_at: str


class MentionDetail(Result):
    """An entity as the case mentions it: raw, normalised, valid or why not, its entity."""

    position: int
    kind: str
    role: str
    value: str | None
    name: str | None
    id_number: str | None
    phone: str | None
    normalised: str
    valid: bool
    reason: str | None
    attributes: dict[str, Any]
    entity_id: str | None


class CaseDetail(CaseSummary):
    """One case with its mentions and network.

    ``redacted`` is true when the caller's role may not read personal data: names, ID
    numbers, phones, plates, bank accounts and waybills are then masked.
    """

    network_id: str | None
    shared_with: list[str]
    mentions: list[MentionDetail]
    redacted: bool = False
    version: str = ""
    """Changes on every write: send it back as ``base_version`` with a change (409 if stale)."""


class CasePage(Result):
    """One page of the cases the caller may see."""

    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class TimelineItem(Result):
    """A case in a network's timeline and the entities it shares with earlier cases.

    ``key`` is the case's key over all counties (``county_code/case_no``), as the network's
    ``cases`` list it.
    """

    case_no: str
    key: str
    opened_on: str
    county_code: str
    type: str
    seized_cartons: float | None
    value_yuan: float | None
    linked_to_earlier: list[str]

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineItem:
        """The result of an engine timeline entry."""
        county, separator, case_no = entry.case_no.partition("/")
        if not separator or county != entry.county_code:
            county, case_no = entry.county_code, entry.case_no  # an engine case named by number
        return cls(
            case_no=case_no,
            key=f"{county}/{case_no}",
            opened_on=entry.opened_on.isoformat(),
            county_code=entry.county_code,
            type=str(entry.type),
            seized_cartons=entry.seized_cartons,
            value_yuan=entry.value_yuan,
            linked_to_earlier=list(entry.linked_to_earlier),
        )


class CentralEntity(Result):
    """A central person or phone of a network."""

    entity_id: str
    kind: str
    label: str
    cases: int
    betweenness: float

    @classmethod
    def of(cls, item: Centrality) -> CentralEntity:
        """The result of an engine centrality."""
        return cls.model_validate(item)


class NetworkDetail(Result):
    """A network (every field of :class:`~gridmgmt.cases.networks.Network`), its counties'
    names, its timeline and its most central people and phones."""

    network_id: str
    cases: list[str]
    counties: list[str]
    provinces: list[str]
    cross_province: bool
    signal_provinces: list[str]
    cross_province_signals: list[str]
    stages: list[str]
    network_case: bool
    network_case_reasons: list[str]
    first_opened: str
    last_opened: str
    seized_cartons: float
    value_yuan: float
    other_counties: int
    county_names: dict[str, str]
    timeline: list[TimelineItem]
    central_entities: list[CentralEntity]


class EvidenceItem(Result):
    """One shared entity and how much it links."""

    entity_id: str
    kind: str
    label: str
    strength: float
    hub_factor: float
    cases_touched: int
    weight: float

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceItem:
        """The result of engine evidence (figures rounded to 4 places)."""
        return cls(
            entity_id=evidence.entity_id,
            kind=evidence.kind,
            label=evidence.label,
            strength=round(evidence.strength, 4),
            hub_factor=round(evidence.hub_factor, 4),
            cases_touched=evidence.cases_touched,
            weight=round(evidence.weight, 4),
        )


class MergeSuggestionItem(Result):
    """Cases suggested for merging (并案建议), with the entities that tie them."""

    cases: tuple[str, ...]
    score: float
    level: str
    evidence: list[EvidenceItem]

    @classmethod
    def of(cls, suggestion: MergeSuggestion) -> MergeSuggestionItem:
        """The result of an engine suggestion."""
        return cls(
            cases=tuple(suggestion.cases),
            score=suggestion.score,
            level=suggestion.level,
            evidence=[EvidenceItem.of(e) for e in suggestion.evidence],
        )


class ChainLink(Result):
    """One step of a chain: two cases and the entity they share."""

    from_case: str
    to_case: str
    entity_id: str
    kind: str
    label: str
    weight: float


class ChainResult(Result):
    """The strongest chain of shared entities between two cases; ``found`` false if none."""

    found: bool
    cases: tuple[str, ...]
    links: list[ChainLink]
    cost: float | None

    @classmethod
    def of(cls, chain: Chain | None) -> ChainResult:
        """The result of an engine chain (None: no chain)."""
        if chain is None:
            return cls(found=False, cases=(), links=[], cost=None)
        links = [
            ChainLink(
                from_case=link.from_case,
                to_case=link.to_case,
                entity_id=link.entity_id,
                kind=link.kind,
                label=link.label,
                weight=round(link.weight, 4),
            )
            for link in chain.links
        ]
        return cls(found=True, cases=tuple(chain.cases), links=links, cost=chain.cost)


class CaseShare(Result):
    """A case shared; ``created`` false when it was shared with that county already."""

    case_no: str
    from_county: str
    to_county: str
    created: bool


class NetworkShare(Result):
    """A network's cases shared: newly, before, or skipped (not the caller's, or the
    receiving county's own)."""

    network_id: str
    to_county: str
    shared: list[str]
    already: list[str]
    skipped: list[str]


class JointCaseCountyItem(Result):
    """A county of a joint case and where it stands (invited, joined, declined)."""

    county_code: str
    county: str
    state: str
    decided_by: str | None
    decided_at: str | None


class JointCaseDetail(Result):
    """A joint case (网络案件协同办理) as one viewer may see it.

    ``counties`` lists the joined counties and the viewer's own; ``other_counties`` counts
    the rest. ``cases`` are the keys of its cases the viewer sees (``county_code/case_no``);
    ``other_cases`` counts the rest (shared once their county joins). ``can_answer`` lists
    the viewer's counties still invited.
    """

    id: int
    network_id: str
    title: str
    note: str
    opened_by: str
    opened_county: str
    opened_at: str
    version: int
    counties: list[JointCaseCountyItem]
    other_counties: int
    cases: list[str]
    other_cases: int
    can_answer: list[str]


class MergeEvidence(Result):
    """What ties the two cases of a merge, as both sides may see it.

    ``shared`` are the identifiers both cases mention (kind and value: each side holds
    them); when the cases are tied only through other cases, ``chain`` gives the kinds of
    the chain's links and ``via_cases`` how many cases lie between, nothing of them.
    """

    weight: float
    shared: list[dict[str, str]]
    chain: list[str]
    via_cases: int


class MergeEventItem(Result):
    """One step of a merge's history."""

    seq: int
    step: str
    state: str
    at: str
    by: str
    county_code: str
    note: str | None


class MergeDetail(Result):
    """A cross-county merge proposal (并案) and where it stands.

    The proposing case is ``proposer_county/proposer_case_no``; the other case's number is
    shown to the other side, and to the proposer once the merge took effect (before, only
    its county). ``side`` is the viewer's side (``proposer``, ``other`` or ``both``).
    """

    id: int
    proposer_county: str
    proposer_case_no: str
    other_county: str
    other_case_no: str | None
    state: str
    proposer_accepted: bool
    other_accepted: bool
    evidence: MergeEvidence
    note: str
    proposed_by: str
    proposed_at: str
    decided_at: str | None
    version: int
    side: str
    can_decide: bool
    events: list[MergeEventItem]
