"""What a Dockerfile build reads besides the Dockerfile: context paths, images, remote URLs.

The rule everywhere: when a path cannot be worked out exactly (a variable whose value is not known
here, a substitution form not modelled), take the whole context instead of guessing. A key that
covers too much only costs a rebuild; a key that covers too little serves a stale image.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.errors import InvalidInput
from infra.images.dockerfile import Dockerfile, Instruction, parse_dockerfile
from infra.images.shellwords import ExpansionError, expand_word, split_words
from infra.images.spec import ImageResolver, ResolvedImage, as_resolved

WHOLE_CONTEXT = "."

_REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@")


@dataclass(frozen=True, slots=True)
class BuildInputs:
    context_paths: tuple[str, ...]  # cleaned, relative to the context root; "." is all of it
    images: tuple[tuple[str, str], ...]  # (reference, local image id) in order of first use
    remote_sources: tuple[str, ...]  # ADD URLs: part of the key as strings, never fetched for it
    notes: tuple[str, ...]  # why the key covers more than the Dockerfile names


def clean_context_path(path: str) -> str:
    """A source as the engine reads it: relative to the context root, which `..` cannot leave."""
    return posixpath.normpath("/" + path).lstrip("/") or WHOLE_CONTEXT


def is_remote_source(source: str) -> bool:
    return _REMOTE.match(source) is not None


def find_build_inputs(
    dockerfile: Dockerfile,
    *,
    resolve: ImageResolver,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
) -> BuildInputs:
    return _Analysis(dockerfile, resolve, dict(build_args or {})).run(target)


@dataclass(slots=True)
class _Stage:
    index: int
    name: str | None
    env: dict[str, str]
    env_known: bool  # False when the base image's ENV is unknown: then COPY variables are unknown too
    args: dict[str, str] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)  # variables whose value could not be worked out
    onbuild: list[str] = field(default_factory=list)  # this stage's ONBUILD triggers, for child stages

    def variables(self) -> dict[str, str]:
        return {**self.args, **self.env}  # ENV always wins over ARG, as in Docker


class _Analysis:
    def __init__(self, dockerfile: Dockerfile, resolve: ImageResolver, build_args: dict[str, str]) -> None:
        self.dockerfile = dockerfile
        self.escape = dockerfile.escape
        self.resolve = resolve
        self.build_args = build_args
        self.paths: set[str] = set()
        self.images: dict[str, ResolvedImage] = {}
        self.remote: list[str] = []
        self.notes: list[str] = []
        self.stages: list[_Stage] = []
        self.global_args: dict[str, str] = {}

    def run(self, target: str | None) -> BuildInputs:
        self.global_args, blocks = self._split_stages()
        last = self._target_index(blocks, target)
        for index, (from_line, body) in enumerate(blocks[: last + 1]):
            stage, triggers = self._start_stage(index, from_line, self.global_args)
            self.stages.append(stage)
            for instruction in [*triggers, *body]:
                self._instruction(stage, instruction)
        return BuildInputs(
            context_paths=tuple(sorted(self.paths)),
            images=tuple((ref, image.id) for ref, image in self.images.items()),
            remote_sources=tuple(dict.fromkeys(self.remote)),
            notes=tuple(self.notes),
        )

    # -- structure ------------------------------------------------------------------------------

    def _split_stages(self) -> tuple[dict[str, str], list[tuple[Instruction, list[Instruction]]]]:
        global_args: dict[str, str] = {}
        blocks: list[tuple[Instruction, list[Instruction]]] = []
        for instruction in self.dockerfile.instructions:
            if instruction.keyword == "FROM":
                blocks.append((instruction, []))
            elif blocks:
                blocks[-1][1].append(instruction)
            elif instruction.keyword == "ARG":
                # ARGs before the first FROM are global: usable in FROM lines, and inside a stage
                # once redeclared there.
                self._declare_args(instruction, global_args, global_args, set(), {})
        if not blocks:
            raise InvalidInput("the Dockerfile has no FROM instruction", field="dockerfile")
        return global_args, blocks

    @staticmethod
    def _stage_name(from_line: Instruction) -> str | None:
        words = from_line.args
        if len(words) >= 3 and words[1].lower() == "as":
            return words[2].lower()
        return None

    def _target_index(
        self, blocks: Sequence[tuple[Instruction, list[Instruction]]], target: str | None
    ) -> int:
        if target is None:
            return len(blocks) - 1
        for index, (from_line, _) in enumerate(blocks):
            if self._stage_name(from_line) == target.lower():
                # The classic builder builds every stage up to the target, BuildKit only those it
                # needs: all stages up to the target is the superset.
                return index
        raise InvalidInput(f"target stage {target!r} is not in the Dockerfile", field="target")

    def _start_stage(
        self, index: int, from_line: Instruction, global_args: dict[str, str]
    ) -> tuple[_Stage, list[Instruction]]:
        name = self._stage_name(from_line)
        raw = from_line.args[0] if from_line.args else ""
        try:
            base = expand_word(raw, global_args, escape=self.escape)
        except ExpansionError as error:
            raise InvalidInput(f"line {from_line.line}: FROM {raw}: {error}", field="dockerfile") from None
        if not base:
            raise InvalidInput(f"line {from_line.line}: FROM {raw!r} names no image", field="dockerfile")
        parent = self._stage_named(base)
        if parent is not None:
            stage = _Stage(index, name, dict(parent.env), parent.env_known)
            trigger_lines = list(parent.onbuild)
        elif base.lower() == "scratch":
            stage = _Stage(index, name, {}, True)
            trigger_lines = []
        else:
            image = self._image(base)
            stage = _Stage(index, name, dict(image.env or {}), image.env is not None)
            trigger_lines = list(image.onbuild)
        # ONBUILD triggers of the base run first in this stage, and may read the context too.
        triggers = list(parse_dockerfile("\n".join(trigger_lines)).instructions) if trigger_lines else []
        return stage, triggers

    def _stage_named(self, reference: str) -> _Stage | None:
        for stage in self.stages:
            if stage.name is not None and stage.name == reference.lower():
                return stage
        if reference.isdigit() and int(reference) < len(self.stages):
            return self.stages[int(reference)]
        return None

    def _image(self, reference: str) -> ResolvedImage:
        if reference not in self.images:
            self.images[reference] = as_resolved(self.resolve(reference))
        return self.images[reference]

    # -- instructions ---------------------------------------------------------------------------

    def _instruction(self, stage: _Stage, instruction: Instruction) -> None:
        keyword = instruction.keyword
        if keyword == "ARG":
            self._declare_args(instruction, stage.args, stage.variables(), stage.unknown, self.global_args)
        elif keyword == "ENV":
            self._set_env(stage, instruction)
        elif keyword in ("COPY", "ADD"):
            self._copy(stage, instruction)
        elif keyword == "RUN":
            self._run_mounts(stage, instruction)
        elif keyword == "ONBUILD":
            stage.onbuild.append(instruction.rest)

    def _declare_args(
        self,
        instruction: Instruction,
        into: dict[str, str],
        variables: Mapping[str, str],
        unknown: set[str],
        global_args: Mapping[str, str],
    ) -> None:
        for word in split_words(instruction.rest, escape=self.escape):
            name, has_default, default = word.partition("=")
            if name in self.build_args:
                into[name] = self.build_args[name]
            elif has_default:
                try:
                    into[name] = expand_word(default, variables, escape=self.escape, unknown=unknown)
                except ExpansionError:
                    unknown.add(name)
            elif name in global_args:
                into[name] = global_args[name]

    def _set_env(self, stage: _Stage, instruction: Instruction) -> None:
        for name, raw in _env_pairs(instruction.rest, self.escape):
            try:
                stage.env[name] = self._expand_path(stage, raw)
                stage.unknown.discard(name)
            except ExpansionError:
                stage.env.pop(name, None)
                stage.unknown.add(name)

    def _expand_path(self, stage: _Stage, word: str) -> str:
        """Expand where the base image's ENV may matter: unknown variables are errors."""
        return expand_word(
            word, stage.variables(), escape=self.escape, strict=not stage.env_known, unknown=stage.unknown
        )

    def _from_reference(self, stage: _Stage, instruction: Instruction, raw: str) -> None:
        """`--from=` names an earlier stage (whose inputs are already counted) or an image."""
        try:
            reference = expand_word(raw, stage.variables(), escape=self.escape, unknown=stage.unknown)
        except ExpansionError as error:
            # Guessing the source of a copy could make the key stale: refuse instead.
            raise InvalidInput(
                f"line {instruction.line}: cannot work out --from={raw}: {error}", field="dockerfile"
            ) from None
        if self._stage_named(reference) is None:
            self._image(reference)

    def _context_path(self, stage: _Stage, instruction: Instruction, word: str) -> None:
        try:
            path = self._expand_path(stage, word)
        except ExpansionError as error:
            self.paths.add(WHOLE_CONTEXT)
            self.notes.append(f"line {instruction.line}: {word}: {error}; the whole context is hashed")
            return
        if instruction.keyword == "ADD" and is_remote_source(path):
            self.remote.append(path)
            return
        self.paths.add(clean_context_path(path))

    def _copy(self, stage: _Stage, instruction: Instruction) -> None:
        if len(instruction.args) < 2:
            return  # the engine rejects it; nothing to hash
        source_stage = instruction.flag("from")
        if source_stage is not None:
            self._from_reference(stage, instruction, source_stage)
            return
        heredocs = {heredoc.name for heredoc in instruction.heredocs}
        for word in instruction.args[:-1]:
            if word.startswith("<<") and word[2:].lstrip("-").strip("\"'") in heredocs:
                continue  # inline content: already part of the Dockerfile's bytes
            self._context_path(stage, instruction, word)

    def _run_mounts(self, stage: _Stage, instruction: Instruction) -> None:
        for spec in instruction.flag_values("mount"):
            options = dict(part.partition("=")[::2] for part in spec.split(",") if part)
            kind = options.get("type", "bind")
            source = options.get("source", options.get("src", ""))
            if kind not in ("bind", "cache"):
                continue  # tmpfs, secret, ssh: nothing from the context or an image
            if "from" in options:
                self._from_reference(stage, instruction, options["from"])
            elif kind == "bind":
                self._context_path(stage, instruction, source or WHOLE_CONTEXT)


def _env_pairs(rest: str, escape: str) -> list[tuple[str, str]]:
    """`ENV a=1 b="2 3"`, or the legacy `ENV name value with spaces`."""
    words = split_words(rest, escape=escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = rest.strip().split(None, 1)
        return [(parts[0], parts[1] if len(parts) > 1 else "")]
    return [(name, value) for name, _, value in (word.partition("=") for word in words)]
