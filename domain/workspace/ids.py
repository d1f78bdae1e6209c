"""Readable workspace ids that are DNS labels: `amber-otter-k3x9qa` (DESIGN.md section 5)."""

from __future__ import annotations

import random
import re
import string

_ADJECTIVES = (
    "amber", "azure", "brave", "calm", "coral", "crisp", "dusky", "eager", "fancy", "gentle",
    "golden", "happy", "ivory", "jade", "keen", "lively", "lucid", "misty", "noble", "olive",
    "plum", "quiet", "rapid", "rosy", "sage", "silver", "sunny", "tidy", "violet", "witty",
)
_ANIMALS = (
    "otter", "badger", "beaver", "crane", "dingo", "eagle", "ferret", "gecko", "heron", "ibis",
    "jackal", "koala", "lemur", "lynx", "marten", "newt", "ocelot", "panda", "quail", "raven",
    "salmon", "tapir", "urchin", "vole", "walrus", "yak", "zebra", "bison", "finch", "moose",
)
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
WORKSPACE_ID = re.compile(r"^[a-z](?:[a-z0-9-]{0,46}[a-z0-9])?$")


def new_workspace_id(rng: random.Random) -> str:
    suffix = "".join(rng.choice(_SUFFIX_ALPHABET) for _ in range(6))
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_ANIMALS)}-{suffix}"


def is_workspace_id(value: str) -> bool:
    return WORKSPACE_ID.fullmatch(value) is not None
