"""Usernames and roles. The username is the user's id: it names the stream (`user-<username>`), so the
event store's unique stream version is what makes two accounts with one name impossible."""

from __future__ import annotations

import re
from enum import StrEnum

from domain.errors import InvalidInput

# A DNS-label-like name: it appears in workspace listings and may one day appear in host names.
USERNAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


def check_username(username: str) -> str:
    if USERNAME.fullmatch(username) is None:
        raise InvalidInput(
            f"{username!r} is not a valid username: 1 to 32 lowercase letters, digits and dashes, "
            "starting with a letter and not ending with a dash", field="username")
    return username


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}",
                           field="role") from None


def user_stream(username: str) -> str:
    return f"user-{username}"
