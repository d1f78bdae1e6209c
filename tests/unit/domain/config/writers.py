"""Serialize a normalized config back to `.gitpod.yml` or devcontainer.json text, for round-trip
tests: parsing what these write must give back the config they were given."""

from __future__ import annotations

import json
import posixpath

import yaml

from domain.config import Command, DockerfileBuild, ExecCommand, Port, WorkspaceConfig

_ON_AUTO_FORWARD = {
    "notify": "notify",
    "open-browser": "openBrowser",
    "open-preview": "openPreview",
    "ignore": "silent",
    "ignore-completely": "ignore",
}


def to_gitpod_yml(config: WorkspaceConfig) -> str:
    return yaml.safe_dump(gitpod_document(config), sort_keys=False, allow_unicode=True)


def gitpod_document(config: WorkspaceConfig) -> dict[str, object]:
    doc: dict[str, object] = {}
    if isinstance(config.image, DockerfileBuild):
        doc["image"] = {"file": config.image.dockerfile, "context": config.image.context}
    else:
        doc["image"] = config.image.name
    if config.tasks:
        doc["tasks"] = [
            _without_none(
                {
                    "name": task.name,
                    "before": task.before,
                    "init": task.init,
                    "command": task.command,
                    "env": task.env or None,
                    "openMode": task.open_mode,
                }
            )
            for task in config.tasks
        ]
    if config.ports:
        doc["ports"] = [_gitpod_port(port) for port in config.ports]
    if config.env:
        doc["env"] = config.env
    if config.checkout_location is not None:
        doc["checkoutLocation"] = config.checkout_location
    if config.workspace_location is not None:
        doc["workspaceLocation"] = config.workspace_location
    if config.vscode_extensions:
        doc["vscode"] = {"extensions": list(config.vscode_extensions)}
    if config.git_config:
        doc["gitConfig"] = config.git_config
    return doc


def _gitpod_port(port: Port) -> dict[str, object]:
    return _without_none(
        {
            "port": port.port if port.end_port is None else f"{port.port}-{port.end_port}",
            "visibility": port.visibility,
            "onOpen": port.on_open,
            "name": port.name,
            "description": port.description,
            "protocol": port.protocol,
        }
    )


def to_devcontainer_json(config: WorkspaceConfig, *, file: str) -> str:
    document = devcontainer_document(config, file=file)
    return "// written by the round-trip test\n" + json.dumps(document, indent=2, ensure_ascii=False)


def devcontainer_document(config: WorkspaceConfig, *, file: str) -> dict[str, object]:
    folder = posixpath.dirname(file) or "."

    def relative(path: str) -> str:
        return posixpath.relpath(path, folder)

    doc: dict[str, object] = {}
    if isinstance(config.image, DockerfileBuild):
        build = config.image
        doc["build"] = _without_none(
            {
                "dockerfile": relative(build.dockerfile),
                "context": relative(build.context),
                "args": build.args or None,
                "target": build.target,
            }
        )
    else:
        doc["image"] = config.image.name
    # Single ports are forwarded, ranges only have attributes: a parsed config lists them that way.
    singles = [port for port in config.ports if port.end_port is None]
    if singles:
        doc["forwardPorts"] = [port.port if port.host is None else f"{port.host}:{port.port}" for port in singles]
    attributes = {}
    for port in config.ports:
        key = str(port.port) if port.end_port is None else f"{port.port}-{port.end_port}"
        values = _without_none(
            {"label": port.name, "onAutoForward": _ON_AUTO_FORWARD[port.on_open], "protocol": port.protocol}
        )
        if port.end_port is not None or values != {"onAutoForward": "notify", "protocol": "http"}:
            attributes[key] = values
    if attributes:
        doc["portsAttributes"] = attributes
    if config.env:
        doc["containerEnv"] = config.env
    if config.remote_user is not None:
        doc["remoteUser"] = config.remote_user
    if config.container_user is not None:
        doc["containerUser"] = config.container_user
    if config.mounts:
        doc["mounts"] = [
            _without_none({"type": m.type, "source": m.source, "target": m.target})
            if not m.options
            else ",".join(
                [f"type={m.type}", *([f"source={m.source}"] if m.source else []), f"target={m.target}"]
                + [f"{name}={value}" if value else name for name, value in m.options.items()]
            )
            for m in config.mounts
        ]
    for step in config.lifecycle:
        if step.command is not None:
            doc[step.hook] = _command(step.command)
        else:
            doc[step.hook] = {name: _command(command) for name, command in step.parallel.items()}
    if config.vscode_extensions:
        doc["customizations"] = {"vscode": {"extensions": list(config.vscode_extensions)}}
    if config.workspace_location is not None:
        location = config.workspace_location
        doc["workspaceFolder"] = "/workspace" if location == "." else f"/workspace/{location}"
    return doc


def _command(command: Command) -> object:
    return list(command.argv) if isinstance(command, ExecCommand) else command.script


def _without_none(values: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}
