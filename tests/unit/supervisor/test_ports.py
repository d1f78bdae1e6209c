"""/proc/net/tcp parsing: real lines captured from this machine's /proc, crafted ones, and the live file."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.ports import PortWatcher, decode_address, listening_ports, parse_listening

# Captured from /proc/net/tcp of a Debian bookworm machine (x86-64, so each word prints byte-reversed),
# plus one crafted listener on the container's own address (172.17.0.2), which CONNECT cannot reach.
TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:3C48 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 161909 1 000000007cf65220 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1225 1 000000003a9643c6 100 0 0 10 0
   2: 0200007F:91C3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 192122 1 00000000b408ced5 100 0 0 10 0
   3: 0100007F:4BDA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 117889 1 00000000770f4077 100 0 0 10 0
   4: 0100007F:3C48 0100007F:9288 06 00000000:00000000 03:00000B84 00000000     0        0 0 3 00000000a1e8fb2e
   5: 0100007F:3C48 0100007F:AFDA 01 00000000:00000000 02:000AFABE 00000000   101        0 191051 3 0000000018c72c0f 20 4 25 18 -1
   6: 0100007F:99CE 0100007F:4A94 06 00000000:00000000 03:00000BCD 00000000     0        0 0 3 0000000026700085
   7: 020011AC:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
"""  # noqa: E501 - the kernel's line length
# Captured from /proc/net/tcp6: a socket on ::1, one on ::, two on the IPv4-mapped 127.0.0.1, and
# established connections (state 01), which are not listeners.
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:CA39 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 192120 1 00000000a533a8e2 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:4A94 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 157099 1 000000008dedf3e0 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:4A95 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 150089 1 000000006d4168c2 100 0 0 10 0
   3: 00000000000000000000000000000000:BA1B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 192121 1 00000000edb8e5f9 100 0 0 10 0
   4: 0000000000000000FFFF00000100007F:4A95 0000000000000000FFFF00000100007F:CA1A 01 00000000:00000000 02:000A67C5 00000000     0        0 155077 2 00000000a152a92f 20 5 31 18 -1
"""  # noqa: E501 - the kernel's line length


def test_decodes_addresses_in_host_byte_order() -> None:
    assert decode_address("0100007F:1F90") == (ipaddress.ip_address("127.0.0.1"), 8080)
    assert decode_address("00000000:0016") == (ipaddress.ip_address("0.0.0.0"), 22)
    assert decode_address("00000000000000000000000001000000:CA39") == (ipaddress.ip_address("::1"), 51769)
    address, _ = decode_address("0000000000000000FFFF00000100007F:4A94")
    assert address == ipaddress.ip_address("::ffff:127.0.0.1")


@pytest.mark.parametrize("text", ["0100007F", "01007F:1F90", "zz00007F:1F90", ""])
def test_rejects_what_is_not_an_address(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - which ValueError does not matter, only that it is one
        decode_address(text)


def test_listeners_on_wildcard_and_loopback_count_others_do_not() -> None:
    # 15432 on 127.0.0.1, 2024 on 0.0.0.0, 19418 on 127.0.0.1; 37315 (127.0.0.2) and 8080
    # (172.17.0.2) are unreachable through 127.0.0.1; the rest are connections, not listeners.
    assert parse_listening(TCP) == {15432, 2024, 19418}
    assert parse_listening(TCP6) == {51769, 19092, 19093, 47643}


def test_a_malformed_line_hides_nothing_else() -> None:
    text = TCP + "   8: garbage\n   9: 0100007F:XYZ 00000000:0000 0A\n  10: 00000000:0050 00000000:0000 0A 0\n"
    assert parse_listening(text) == {15432, 2024, 19418, 80}


def test_reads_both_files_and_excludes_ports(tmp_path: Path) -> None:
    (tmp_path / "tcp").write_text(TCP)
    (tmp_path / "tcp6").write_text(TCP6)
    files = [tmp_path / "tcp", tmp_path / "tcp6", tmp_path / "missing"]
    assert listening_ports(files, exclude=[2024]) == {15432, 19418, 51769, 19092, 19093, 47643}


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.create_server(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_the_live_proc_file_shows_a_new_listener(listener: int) -> None:
    assert listener in listening_ports()
    assert listener not in listening_ports(exclude=[listener])


def test_watcher_reports_changes_only(tmp_path: Path) -> None:
    proc = tmp_path / "tcp"
    proc.write_text(TCP)
    changes: list[tuple[frozenset[int], frozenset[int]]] = []
    watcher = PortWatcher(exclude=[2024], on_change=lambda old, new: changes.append((old, new)), files=[proc])
    watcher.sample()
    watcher.sample()
    proc.write_text(TCP.splitlines()[0] + "\n" + TCP.splitlines()[1] + "\n")
    watcher.sample()
    assert changes == [
        (frozenset(), frozenset({15432, 19418})),
        (frozenset({15432, 19418}), frozenset({15432})),
    ]
    assert watcher.ports == {15432}


def test_watcher_samples_often_at_first_and_after_a_change_and_backs_off_otherwise(tmp_path: Path) -> None:
    watcher = PortWatcher(exclude=[], on_change=lambda old, new: None, files=[tmp_path / "tcp"], interval=1.0,
                          first_interval=0.05)
    quiet = [watcher.next_delay(False) for _ in range(10)]
    assert quiet[0] == pytest.approx(0.075) and quiet == sorted(quiet) and quiet[-1] == 1.0
    assert watcher.next_delay(True) == 0.05, "a change: look again soon"
    assert watcher.next_delay(False) == pytest.approx(0.075)
