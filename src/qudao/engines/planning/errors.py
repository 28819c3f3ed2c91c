"""The one error type of the planning engine: bad input, named by item and field."""

from __future__ import annotations


class PlanningInputError(ValueError):
    """Bad planning input (a cycle, a missing lead time, a bad capacity or service level, ...).

    ``item`` names the offending item, SKU-location, resource or channel (or a list of them for a cycle);
    ``field`` names the input; ``reason`` says what is wrong. The engine raises it before any result is
    built, so a caller never sees a partial plan. The planning service turns it into a domain ``Invalid``.
    """

    def __init__(self, field: str, reason: str, item=None):
        self.field = field
        self.reason = reason
        self.item = item
        if item is None:
            where = field
        elif isinstance(item, (list, tuple)):
            where = f"{field} [{' -> '.join(str(i) for i in item)}]"
        else:
            where = f"{field} [{item}]"
        super().__init__(f"{where}: {reason}")


def label(items, index: int):
    """The caller's name for item ``index`` (its position when no names were given)."""
    if items is None:
        return index
    return items[index]
