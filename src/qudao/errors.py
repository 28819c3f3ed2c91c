"""Domain errors raised by services; adapters translate them (HTTP problem+json, CLI exit codes)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    reason: str
    row: int | None = None


@dataclass
class QudaoError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    status = 400
    title = "Bad request"

    def __str__(self) -> str:
        parts = [self.detail] + [
            (f"row {e.row}: " if e.row is not None else "") + f"{e.field}: {e.reason}" for e in self.errors
        ]
        return "; ".join(parts)


class Invalid(QudaoError):
    status = 422
    title = "Invalid input"


class NotFound(QudaoError):
    status = 404
    title = "Not found"


class Conflict(QudaoError):
    status = 409
    title = "Conflict"


class Forbidden(QudaoError):
    status = 403
    title = "Forbidden"


class Unauthorized(QudaoError):
    status = 401
    title = "Not authenticated"


class TooManyRequests(QudaoError):
    status = 429
    title = "Too many requests"


class InsufficientStock(Conflict):
    title = "Insufficient stock"


def invalid(field_name: str, reason: str) -> Invalid:
    """Shorthand for the common single-field validation error."""
    return Invalid(detail=f"{field_name}: {reason}", errors=[FieldError(field_name, reason)])
