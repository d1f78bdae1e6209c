"""JSON with comments (`//`, `/* */`) and trailing commas → positioned tree.

devcontainer.json is "JSONC", which `json.loads` rejects, and errors must name a line, which
`json.loads` results cannot do for the fields found invalid afterwards. So this is a small
recursive-descent parser that records the line of every value and key. Strings, numbers and
literals follow RFC 8259 exactly; the only extensions are the two the devcontainer spec allows.
"""

from __future__ import annotations

import bisect
import re

from domain.config.tree import Entry, MappingNode, Node, ScalarNode, SequenceNode
from domain.errors import InvalidConfig

MAX_DEPTH = 64
"""No config needs more nesting; a limit keeps hostile input from exhausting the stack."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS: tuple[tuple[str, bool | None], ...] = (("true", True), ("false", False), ("null", None))


def parse_jsonc(text: str, *, file: str) -> Node:
    """The document's tree. Raises InvalidConfig naming the line of the first syntax error."""
    return _Parser(text, file).document()


class _Parser:
    def __init__(self, text: str, file: str) -> None:
        self._text = text
        self._file = file
        self._pos = 0
        self._line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]

    def document(self) -> Node:
        stray = _SURROGATE.search(self._text)
        if stray is not None:
            raise self._fail("invalid text: a lone UTF-16 surrogate", stray.start())
        if self._text.startswith("\ufeff"):
            self._pos = 1
        self._skip()
        node = self._value(1)
        self._skip()
        if self._pos < len(self._text):
            raise self._fail("unexpected text after the end of the document")
        return node

    def _line(self, pos: int) -> int:
        return bisect.bisect_right(self._line_starts, pos)

    def _fail(self, message: str, pos: int | None = None) -> InvalidConfig:
        at = self._pos if pos is None else pos
        return InvalidConfig(f"invalid JSON: {message}", file=self._file, line=self._line(at))

    def _peek(self) -> str:
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def _skip(self) -> None:
        """Whitespace and comments."""
        text = self._text
        while True:
            match = _WHITESPACE.match(text, self._pos)
            assert match is not None  # `*` always matches
            self._pos = match.end()
            if text.startswith("//", self._pos):
                line_end = _LINE_BREAK.search(text, self._pos)
                self._pos = len(text) if line_end is None else line_end.end()
            elif text.startswith("/*", self._pos):
                end = text.find("*/", self._pos + 2)
                if end < 0:
                    raise self._fail("a /* comment is never closed")
                self._pos = end + 2
            else:
                return

    def _value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self._fail("nested too deeply")
        char = self._peek()
        line = self._line(self._pos)
        if char == "{":
            return self._object(depth)
        if char == "[":
            return self._array(depth)
        if char == '"':
            text = self._string()
            return ScalarNode(text, text, line)
        if char == "-" or char.isdigit():
            return ScalarNode(self._number(), None, line)
        for word, literal in _LITERALS:
            if self._text.startswith(word, self._pos):
                self._pos += len(word)
                return ScalarNode(literal, None, line)
        if not char:
            raise self._fail("unexpected end of the document, expected a value")
        raise self._fail(f"unexpected character {char!r}, expected a value")

    def _object(self, depth: int) -> MappingNode:
        start = self._pos
        self._pos += 1
        entries: list[Entry] = []
        while True:
            self._skip()
            char = self._peek()
            if char == "}":
                self._pos += 1
                return MappingNode(tuple(entries), self._line(start))
            if char != '"':
                raise self._expected("a string key or '}'", start, "object")
            key_line = self._line(self._pos)
            key = self._string()
            self._skip()
            if self._peek() != ":":
                raise self._expected("':' after the key", start, "object")
            self._pos += 1
            self._skip()
            entries.append(Entry(key, key_line, self._value(depth + 1)))
            self._skip()
            char = self._peek()
            if char == ",":
                self._pos += 1  # a trailing comma before '}' is allowed: the loop then sees '}'
            elif char != "}":
                raise self._expected("',' or '}'", start, "object")

    def _array(self, depth: int) -> SequenceNode:
        start = self._pos
        self._pos += 1
        items: list[Node] = []
        while True:
            self._skip()
            if self._peek() == "]":
                self._pos += 1
                return SequenceNode(tuple(items), self._line(start))
            items.append(self._value(depth + 1))
            self._skip()
            char = self._peek()
            if char == ",":
                self._pos += 1
            elif char != "]":
                raise self._expected("',' or ']'", start, "array")

    def _expected(self, what: str, start: int, container: str) -> InvalidConfig:
        if self._pos >= len(self._text):
            # the line to fix is where it opened, not the end of the file
            return self._fail(f"the {container} opened on line {self._line(start)} is never closed", start)
        return self._fail(f"expected {what}, got {self._peek()!r}")

    def _string(self) -> str:
        text = self._text
        start = self._pos
        self._pos += 1
        parts: list[str] = []
        while True:
            match = _STRING_CHUNK.match(text, self._pos)
            assert match is not None  # `*` always matches
            parts.append(match.group())
            self._pos = match.end()
            char = self._peek()
            if char == '"':
                self._pos += 1
                return "".join(parts)
            if not char:
                raise self._fail("a string is never closed", start)
            if char != "\\":
                raise self._fail("a control character must be escaped in a string")
            parts.append(self._escape())

    def _escape(self) -> str:
        kind = self._text[self._pos + 1 : self._pos + 2]
        if kind in _ESCAPES:
            self._pos += 2
            return _ESCAPES[kind]
        if kind != "u":
            raise self._fail(f"invalid escape \\{kind}")
        code = self._hex4(self._pos + 2)
        self._pos += 6
        if 0xDC00 <= code <= 0xDFFF:
            raise self._fail("a \\u escape is a lone UTF-16 surrogate")
        if 0xD800 <= code <= 0xDBFF:
            # a high surrogate must be followed by a low one; together they are one character
            low = self._hex4(self._pos + 2) if self._text.startswith("\\u", self._pos) else -1
            if not 0xDC00 <= low <= 0xDFFF:
                raise self._fail("a \\u escape is a lone UTF-16 surrogate")
            self._pos += 6
            return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        return chr(code)

    def _hex4(self, pos: int) -> int:
        digits = self._text[pos : pos + 4]
        if len(digits) != 4 or any(char not in "0123456789abcdefABCDEF" for char in digits):
            raise self._fail("a \\u escape needs four hex digits")
        return int(digits, 16)

    def _number(self) -> int | float:
        match = _NUMBER.match(self._text, self._pos)
        if match is None:
            raise self._fail("invalid number")
        self._pos = match.end()
        literal = match.group()
        if match.group(1) is None and match.group(2) is None:
            if len(literal) > 1000:
                raise self._fail("a number is too long")
            return int(literal)
        return float(literal)
