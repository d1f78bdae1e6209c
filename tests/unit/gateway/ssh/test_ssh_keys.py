"""SSH keys: parsing what users paste, the decider on the user stream, and the users projection."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.aggregate import fold
from domain.envelope import Envelope
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent, Recorded
from domain.users.events import UserBlocked, UserCreated
from domain.users.ssh_keys import (
    AddSshKey,
    RemoveSshKey,
    SshKeyAdded,
    SshKeyDecider,
    SshKeyRemoved,
    SshKeysState,
    parse_public_key,
)
from infra.readmodel.contract import Doc, DocKey
from projections.users import USERS, UsersProjection, ssh_keys_of

ED25519 = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()


def test_the_fingerprint_is_openssh_s(tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", str(tmp_path / "k")],
                   check=True)
    line = (tmp_path / "k.pub").read_text()
    printed = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / "k.pub")], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    key = parse_public_key(line)
    assert key.fingerprint == printed
    assert key.comment == "me@laptop"
    assert line.startswith(key.line)


@pytest.mark.parametrize("text", [
    "", "ssh-ed25519", "ssh-dss AAAAB3NzaC1kc3M=", "ssh-ed25519 not*base64", "ssh-rsa " + ED25519.split()[1],
    ED25519 + "\n" + ED25519,
])
def test_what_is_not_a_public_key_line_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_public_key(text)


def _state(*events: DomainEvent) -> SshKeysState:
    return fold(SshKeyDecider(), [UserCreated(username="alice", role="user"), *events]).state


def test_adding_a_key_names_it_by_its_comment() -> None:
    decider = SshKeyDecider()
    [added] = decider.decide(_state(), AddSshKey("k1", " ", ED25519 + " alice@laptop"))
    assert isinstance(added, SshKeyAdded)
    assert (added.name, added.public_key) == ("alice@laptop", ED25519)
    assert added.fingerprint == "SHA256:" + base64.b64encode(
        hashlib.sha256(base64.b64decode(ED25519.split()[1])).digest()).decode().rstrip("=")


def test_a_key_is_registered_once_and_removed_once() -> None:
    decider = SshKeyDecider()
    [added] = decider.decide(_state(), AddSshKey("k1", "laptop", ED25519))
    with pytest.raises(Conflict):
        decider.decide(_state(added), AddSshKey("k2", "again", ED25519))
    assert decider.decide(_state(added), RemoveSshKey("k1")) == [SshKeyRemoved(key_id="k1")]
    with pytest.raises(NotFound):
        decider.decide(_state(added, SshKeyRemoved(key_id="k1")), RemoveSshKey("k1"))


def test_a_blocked_user_adds_no_key_and_a_missing_user_none_at_all() -> None:
    decider = SshKeyDecider()
    with pytest.raises(Conflict):
        decider.decide(_state(UserBlocked()), AddSshKey("k1", "", ED25519))
    with pytest.raises(NotFound):
        decider.decide(decider.initial_state(), AddSshKey("k1", "", ED25519))


def _recorded(event: DomainEvent, version: int) -> Recorded:
    envelope = Envelope(uuid.uuid4(), "user-alice", "user", version, version, event.TYPE, "v1",
                        datetime(2026, 1, 1, tzinfo=UTC), "test", uuid.uuid4(), None)
    return Recorded(envelope, event)


def test_the_users_projection_keeps_the_keys_in_the_user_document() -> None:
    projection = UsersProjection()
    key = DocKey(USERS, "alice")
    docs: dict[DocKey, Doc | None] = {key: None}
    added = SshKeyAdded(key_id="k1", name="laptop", public_key=ED25519, fingerprint="SHA256:x")
    for number, event in enumerate([UserCreated(username="alice", role="user"), added,
                                    SshKeyAdded(key_id="k2", name="desk", public_key=ED25519, fingerprint="SHA256:y"),
                                    SshKeyRemoved(key_id="k1")]):
        assert event.TYPE in projection.event_types
        docs.update(projection.apply(_recorded(event, number), docs))
    user = docs[key]
    assert user is not None
    assert list(ssh_keys_of(user)) == ["k2"]
    assert ssh_keys_of(user)["k2"]["fingerprint"] == "SHA256:y"
    assert ssh_keys_of({"username": "old"}) == {}
