"""The workspace user: who tasks run as, and how the supervisor (often root) becomes that user for them.

Privileges are dropped in the child between fork and exec by `subprocess.Popen`'s own `user`,
`group` and `extra_groups` arguments: the same setgroups (initgroups) → setgid → setuid sequence a
`preexec_fn` would run, but done in C, so it is safe even if a thread exists in the supervisor.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass


class UserError(Exception):
    """The configured user does not exist, or the supervisor cannot act as it."""


@dataclass(frozen=True)
class Identity:
    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str
    shell: str


@dataclass(frozen=True)
class Credentials:
    """What Popen must change in the child; all None when the supervisor already is the user."""

    user: int | None = None
    group: int | None = None
    extra_groups: tuple[int, ...] | None = None


def resolve(name: str) -> Identity:
    """The user named `name` (or given as a numeric uid) from the container's passwd database."""
    try:
        entry = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    except KeyError:
        raise UserError(f"user {name!r} does not exist in this container") from None
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return Identity(
        name=entry.pw_name,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        groups=groups,
        home=entry.pw_dir or "/",
        shell=entry.pw_shell or "/bin/sh",
    )


def credentials_for(identity: Identity) -> Credentials:
    """How to start a process as `identity` from the current one; UserError when that is impossible."""
    euid = os.geteuid()
    if euid == identity.uid:
        return Credentials()
    if euid != 0:
        raise UserError(f"running as uid {euid}, the supervisor cannot start processes as {identity.name}")
    return Credentials(user=identity.uid, group=identity.gid, extra_groups=identity.groups)


def chown_to(path: str, identity: Identity) -> None:
    """Give a directory the supervisor created for the user to the user (only root can, and must)."""
    if os.geteuid() == 0 and identity.uid != 0:
        os.chown(path, identity.uid, identity.gid)
