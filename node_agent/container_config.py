"""The container request for one workspace instance, as plain data (pure: unit-tested without an engine).

Security posture, and why:
- Not privileged, no Docker socket, no host paths but the read-only supervisor (its executable, the
  runtime directory of its onedir build beside it, its config), the read-only IDE install (Node +
  code-server, shared by every workspace on the node) and Berth's read-only VS Code extension (.vsix)
  beside it.
- Capabilities: all dropped, then the ones a dev box with working `sudo` needs added back:
  SETUID/SETGID (sudo and the supervisor switch users), CHOWN/DAC_OVERRIDE/FOWNER (root inside may
  manage any file, e.g. `sudo apt-get install`), FSETID (keeps setuid/setgid bits of files root
  installs, which packages like `crontab` rely on), KILL (signal processes of other users, e.g.
  the supervisor ending tasks), NET_BIND_SERVICE (servers on ports below 1024), AUDIT_WRITE (sudo
  and PAM write audit records and fail without it), SYS_CHROOT (sudo's chroot support and package
  scripts). Left out of Docker's default set: MKNOD (no device files), NET_RAW (no packet forging
  on the shared bridge; `ping` does not work), SETPCAP and SETFCAP (no handing out capabilities).
- `no-new-privileges` is NOT set: it would disable sudo's setuid bit, which is the point of sudo.
- The supervisor runs as root (the image's USER is ignored) and drops privileges for tasks; an init
  (docker-init) is PID 1 so orphaned task processes are reaped and SIGTERM reaches the supervisor.
- The supervisor endpoint is published on 127.0.0.1 only: the platform never dials the bridge
  address, and nothing on the node's other interfaces can reach a workspace directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node_agent.instance import SUPERVISOR_LIB_NAME, InstanceSpec
from node_agent.naming import (
    LABEL_CLASS,
    LABEL_INSTANCE,
    LABEL_NODE,
    LABEL_WORKSPACE,
    SUPERVISOR_PORT,
    WORKSPACE_DIR,
)
from node_agent.supervisor_config import IDE_EXTENSION_PATH
from node_agent.workspace_classes import WorkspaceClass

SUPERVISOR_PATH = "/.berth/supervisor"
SUPERVISOR_LIB_PATH = f"/.berth/{SUPERVISOR_LIB_NAME}"  # beside the executable: where its bootloader looks
SUPERVISOR_CONFIG_PATH = "/.berth/config.json"
IDE_PATH = "/.berth/ide"
ENTRYPOINT = [SUPERVISOR_PATH, "serve", "--config", SUPERVISOR_CONFIG_PATH]
CAPABILITIES = (
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETGID",
    "SETUID",
    "SYS_CHROOT",
)
# A chatty workspace must not fill the node's disk with container logs.
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}}


@dataclass(frozen=True)
class ContainerRequest:
    name: str
    create: dict[str, Any]  # arguments of APIClient.create_container (without host_config)
    host: dict[str, Any]  # arguments of APIClient.create_host_config


def labels_of(spec: InstanceSpec, node: str) -> dict[str, str]:
    return {
        LABEL_WORKSPACE: spec.ref.workspace_id,
        LABEL_INSTANCE: spec.ref.instance_id,
        LABEL_NODE: node,
        LABEL_CLASS: spec.workspace_class,
    }


def container_request(spec: InstanceSpec, klass: WorkspaceClass, node: str) -> ContainerRequest:
    ref = spec.ref
    env = {
        **spec.env,
        "BERTH_WORKSPACE_ID": ref.workspace_id,
        "BERTH_INSTANCE_ID": ref.instance_id,
    }
    create = {
        "image": spec.image,
        "name": ref.container_name,
        "entrypoint": list(ENTRYPOINT),
        "command": [],
        "user": "root",
        "hostname": ref.workspace_id,
        "working_dir": WORKSPACE_DIR,
        "environment": env,
        "labels": labels_of(spec, node),
        "ports": [(SUPERVISOR_PORT, "tcp")],
        "detach": True,
    }
    binds = {
        ref.volume_name: {"bind": WORKSPACE_DIR, "mode": "rw"},
        str(spec.supervisor_binary): {"bind": SUPERVISOR_PATH, "mode": "ro"},
        str(spec.supervisor_config): {"bind": SUPERVISOR_CONFIG_PATH, "mode": "ro"},
    }
    if spec.supervisor_lib is not None:
        binds[str(spec.supervisor_lib)] = {"bind": SUPERVISOR_LIB_PATH, "mode": "ro"}
    if spec.ide_dir is not None:
        binds[str(spec.ide_dir)] = {"bind": IDE_PATH, "mode": "ro"}
        if spec.ide_extension is not None:
            binds[str(spec.ide_extension)] = {"bind": IDE_EXTENSION_PATH, "mode": "ro"}
    host = {
        "binds": binds,
        # None: the engine picks a free host port; it is read back after start.
        "port_bindings": {f"{SUPERVISOR_PORT}/tcp": ("127.0.0.1", None)},
        "nano_cpus": round(klass.cpus * 1e9),
        "mem_limit": klass.memory_bytes,
        "memswap_limit": klass.memory_bytes,  # equal to the limit: no swap on top
        "pids_limit": klass.pids,
        "privileged": False,
        "cap_drop": ["ALL"],
        "cap_add": list(CAPABILITIES),
        "init": True,
        "log_config": LOG_CONFIG,
    }
    return ContainerRequest(ref.container_name, create, host)
