"""The workspace user: resolved from passwd, and what Popen must change to become it."""

from __future__ import annotations

import os
import pwd

import pytest

from supervisor.users import Credentials, UserError, credentials_for, resolve


def test_resolves_by_name_and_by_uid() -> None:
    me = pwd.getpwuid(os.getuid())
    by_name, by_uid = resolve(me.pw_name), resolve(str(me.pw_uid))
    assert by_name == by_uid
    assert (by_name.uid, by_name.gid, by_name.home) == (me.pw_uid, me.pw_gid, me.pw_dir)
    assert me.pw_gid in by_name.groups


def test_an_unknown_user_is_an_error() -> None:
    with pytest.raises(UserError, match="'no-such-user-berth' does not exist"):
        resolve("no-such-user-berth")


def test_the_current_user_needs_no_change() -> None:
    assert credentials_for(resolve(pwd.getpwuid(os.geteuid()).pw_name)) == Credentials()


def test_another_user_needs_root() -> None:
    nobody = resolve("nobody")
    if os.geteuid() == 0:
        # setgroups (initgroups), setgid, setuid: in that order, by Popen in the child.
        assert credentials_for(nobody) == Credentials(user=nobody.uid, group=nobody.gid, extra_groups=nobody.groups)
    else:
        with pytest.raises(UserError, match="cannot start processes as nobody"):
            credentials_for(nobody)
