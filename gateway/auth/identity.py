"""Who a request comes from, once a credential checked out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.users.names import Role


class Via(StrEnum):
    """How the credential arrived; decides what the proxy strips before forwarding and what needs CSRF care."""

    BEARER = "bearer"
    OWNER_HEADER = "owner_header"
    COOKIE = "cookie"


@dataclass(frozen=True, slots=True)
class Identity:
    username: str
    role: Role
    token_id: str
    via: Via

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
