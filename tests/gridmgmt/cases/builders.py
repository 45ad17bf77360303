"""Small hand-made case sets for the graph and network tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from stdnum.cn import ric

from gridmgmt.cases.model import Case, CaseType, EntityKind, Mention


def id_number(body17: str) -> str:
    """An ID number with its check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")


def case(
    case_no: str, county: str = "150924", day: int = 1, kind: CaseType = CaseType.COUNTERFEIT
) -> Case:
    """A case opened on the ``day``-th day of 2023."""
    return Case(
        case_no,
        county,
        date.fromordinal(date(2023, 1, 1).toordinal() + day - 1),
        kind,
        value_yuan=1000.0,
    )


def phone(case_no: str, value: str, role: str = "") -> Mention:
    return Mention(case_no, EntityKind.PHONE, value, role=role)


def address(case_no: str, value: str, role: str = "") -> Mention:
    return Mention(case_no, EntityKind.ADDRESS, value, role=role)


def person(case_no: str, name: str, id_text: str | None = None, role: str = "") -> Mention:
    return Mention(case_no, EntityKind.PERSON, name=name, id_number=id_text, role=role)


def linked(kind: EntityKind, value: str, case_nos: Iterable[str], role: str = "") -> list[Mention]:
    """The same identifier mentioned by each of the cases."""
    return [Mention(case_no, kind, value, role=role) for case_no in case_nos]


def clique_network(
    prefix: str, size: int, county: str, phone_value: str
) -> tuple[list[Case], list[Mention]]:
    """``size`` cases all sharing one phone: a tight little network."""
    cases = [case(f"{prefix}{i}", county, day=i + 1) for i in range(size)]
    return cases, linked(EntityKind.PHONE, phone_value, [c.case_no for c in cases], role="司机")


def partition_of(groups: Iterable[Iterable[str]]) -> set[frozenset[str]]:
    return {frozenset(group) for group in groups}


def by_case(mentions: Sequence[Mention]) -> dict[str, list[Mention]]:
    grouped: dict[str, list[Mention]] = {}
    for mention in mentions:
        grouped.setdefault(mention.case_no, []).append(mention)
    return grouped
