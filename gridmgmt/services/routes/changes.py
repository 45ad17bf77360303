"""Order changes a stored plan carries on top of its date's stored orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gridmgmt.errors import InvalidInputError


@dataclass(frozen=True)
class OrderChanges:
    """Order changes a stored plan applies on top of its date's stored orders (by licence).

    A replan's additions, cancellations and changes are not written to the orders; the
    plan keeps them, so the next replan from it, and its manifest, still include them.

    Attributes
    ----------
    add
        Cartons by licence number of retailers with no stored order that date.
    cancel
        Licence numbers whose stored order is not delivered.
    change
        New cartons by licence number of stored orders.
    """

    add: Mapping[str, int] = field(default_factory=dict)
    cancel: tuple[str, ...] = ()
    change: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.add or self.cancel or self.change)

    @classmethod
    def between(cls, stored: Mapping[str, int], planned: Mapping[str, int]) -> OrderChanges:
        """The changes turning ``stored`` orders into ``planned`` ones (cartons by licence)."""
        return cls(
            add={k: n for k, n in sorted(planned.items()) if k not in stored},
            cancel=tuple(sorted(set(stored) - set(planned))),
            change={k: n for k, n in sorted(planned.items()) if k in stored and stored[k] != n},
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> OrderChanges:
        """The changes of :meth:`to_json`."""
        data = data or {}
        return cls(
            add={str(k): int(v) for k, v in (data.get("add") or {}).items()},
            cancel=tuple(str(k) for k in data.get("cancel") or ()),
            change={str(k): int(v) for k, v in (data.get("change") or {}).items()},
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: ``add``, ``cancel`` and ``change``, sorted by licence."""
        return {
            "add": dict(sorted(self.add.items())),
            "cancel": sorted(self.cancel),
            "change": dict(sorted(self.change.items())),
        }

    def then(
        self,
        ordered: Collection[str],
        *,
        day: dt.date,
        add: Mapping[str, int] | None = None,
        cancel: Sequence[str] = (),
        change: Mapping[str, int] | None = None,
    ) -> OrderChanges:
        """These changes followed by new ones, against the stored orders of ``day``.

        Parameters
        ----------
        ordered
            Licence numbers with a stored order on ``day`` (the orders may have been
            re-imported since: an addition that is now a stored order becomes a change, a
            cancellation or change of an order no longer stored is dropped).
        day
            The delivery date (for messages).
        add, cancel, change
            The new changes, against the orders as these changes left them.

        Returns
        -------
        OrderChanges
            The combined changes against the stored orders.

        Raises
        ------
        InvalidInputError
            A retailer added already orders, or one cancelled or changed does not.
        """
        add, change, ordered = dict(add or {}), dict(change or {}), set(ordered)
        added = {k: n for k, n in self.add.items() if k not in ordered}
        changed = {k: n for k, n in self.change.items() if k in ordered}
        changed |= {k: n for k, n in self.add.items() if k in ordered}
        cancelled = {k for k in self.cancel if k in ordered}
        for k in cancelled:
            changed.pop(k, None)
        effective = (ordered - cancelled) | set(added)
        again = sorted(set(add) & effective)
        if again:
            msg = (
                f"retailers {again} already order on {day.isoformat()}: change their order instead"
            )
            raise InvalidInputError(msg)
        missing = sorted((set(cancel) | set(change)) - effective)
        if missing:
            msg = f"retailers {missing} have no order on {day.isoformat()} to cancel or change"
            raise InvalidInputError(msg)
        both = sorted(set(cancel) & set(change))
        if both:
            msg = f"retailers {both} are both cancelled and changed"
            raise InvalidInputError(msg)
        for k, n in add.items():
            if k in cancelled:  # a stored order cancelled earlier comes back
                cancelled.discard(k)
                changed[k] = n
            else:
                added[k] = n
        for k in cancel:
            if added.pop(k, None) is None:
                cancelled.add(k)
                changed.pop(k, None)
        for k, n in change.items():
            (added if k in added else changed)[k] = n
        return OrderChanges(
            add=dict(sorted(added.items())),
            cancel=tuple(sorted(cancelled)),
            change=dict(sorted(changed.items())),
        )
