"""Variable substitution in Dockerfile words, the subset of Docker's shell lexer the key needs.

Supported: quotes (`'…'` literal, `"…"` with `$` expansion), the escape character, `$NAME`,
`${NAME}` and the `-`, `:-`, `+`, `:+`, `?`, `:?` modifiers. Anything else (`${X#pat}`, `${X/a/b}`)
raises `ExpansionError` so that the caller can fall back to something conservative instead of
guessing a path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


class ExpansionError(Exception):
    """A word uses substitution this module does not model, or (strict) an unknown variable."""


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def expand_word(
    word: str,
    env: Mapping[str, str],
    *,
    escape: str = "\\",
    strict: bool = False,
    unknown: Collection[str] = (),
) -> str:
    """Substitute variables and remove quotes.

    A variable missing from `env` is the empty string, as in Docker, unless `strict` is set or it is
    listed in `unknown`: then it is an error. For a COPY source, a variable the Dockerfile does not
    define may come from the base image's ENV, whose value may not be known here.
    """
    if "$" not in word and "'" not in word and '"' not in word and escape not in word:
        return word  # the common case: a plain path
    return _Lexer(word, env, escape, strict, unknown).words(stop="")


class _Lexer:
    def __init__(
        self, text: str, env: Mapping[str, str], escape: str, strict: bool, unknown: Collection[str]
    ) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.strict = strict
        self.unknown = unknown

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def words(self, stop: str) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if stop and ch == stop:
                break
            self.pos += 1
            if ch == "'":
                out.append(self._single_quoted())
            elif ch == '"':
                out.append(self._double_quoted())
            elif ch == "$":
                out.append(self._dollar())
            elif ch == self.escape:
                nxt = self.next()
                out.append(nxt if nxt else ch)
            else:
                out.append(ch)
        return "".join(out)

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise ExpansionError(f"unterminated single quote in {self.text!r}")
        value = self.text[self.pos : end]
        self.pos = end + 1
        return value

    def _double_quoted(self) -> str:
        out: list[str] = []
        while True:
            ch = self.next()
            if ch == "":
                raise ExpansionError(f"unterminated double quote in {self.text!r}")
            if ch == '"':
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
            elif ch == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                out.append(self.next())
            else:
                out.append(ch)

    def _dollar(self) -> str:
        if self.peek() == "{":
            self.pos += 1
            return self._braced()
        name = self._name()
        if not name:
            return "$"
        return self._lookup(name)

    def _name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def _check_known(self, name: str) -> None:
        if name not in self.env and (self.strict or name in self.unknown):
            raise ExpansionError(f"the value of variable {name!r} is not known here")

    def _lookup(self, name: str) -> str:
        self._check_known(name)
        return self.env.get(name, "")

    def _braced(self) -> str:
        name = self._name()
        if not name:
            raise ExpansionError(f"bad substitution in {self.text!r}")
        self._check_known(name)
        ch = self.next()
        if ch == "}":
            return self._lookup(name)
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch not in ("-", "+", "?"):
            raise ExpansionError(f"unsupported substitution ${{{name}{':' if colon else ''}{ch}…}}")
        word = self.words(stop="}")
        if self.next() != "}":
            raise ExpansionError(f"missing '}}' in {self.text!r}")
        is_set = name in self.env
        has_value = is_set and (self.env[name] != "" or not colon)
        if ch == "-":
            return self.env[name] if has_value else word
        if ch == "+":
            return word if has_value else ""
        if not has_value:  # "?": Docker fails the build with `word` as the message
            raise ExpansionError(f"{name}: {word or 'parameter not set'}")
        return self.env[name]


def split_words(text: str, *, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes for `expand_word` to process."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == escape and quote == '"' and i + 1 < len(text):
                i += 1
                current.append(text[i])
            elif ch == quote:
                quote = ""
        elif ch == escape and i + 1 < len(text):
            current.append(ch)
            i += 1
            current.append(text[i])
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch in " \t\r\n":
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
        i += 1
    if current:
        words.append("".join(current))
    return words
