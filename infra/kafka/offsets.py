"""How far a consumer may commit in one partition when its events finish out of order.

The runtime works on many streams at once, so a later record of a partition can be done before an
earlier one. Committing a Kafka offset says "everything before it is done", so the commit point only
moves past the longest prefix of delivered records that are all done.
"""

from __future__ import annotations

from collections import deque


class PartitionProgress:
    def __init__(self) -> None:
        self._order: deque[int] = deque()  # delivered, not yet passed by the commit point, ascending
        self._waiting: set[int] = set()  # the same offsets, for membership tests
        self._done: set[int] = set()  # done, but held back by an earlier offset that is not
        self._next: int | None = None  # the offset to commit: every delivered offset below it is done

    def delivered(self, offset: int) -> None:
        last = self._order[-1] if self._order else None if self._next is None else self._next - 1
        if last is not None and offset <= last:
            raise ValueError(f"offset {offset} delivered after {last}: a partition is read in order")
        self._order.append(offset)
        self._waiting.add(offset)

    def finished(self, offset: int) -> None:
        if offset not in self._waiting:
            if self._next is not None and offset < self._next:
                return  # told twice: the first time counted
            raise ValueError(f"offset {offset} was not delivered")
        self._done.add(offset)
        while self._order and self._order[0] in self._done:
            passed = self._order.popleft()
            self._waiting.discard(passed)
            self._done.discard(passed)
            self._next = passed + 1

    @property
    def commit_offset(self) -> int | None:
        """Kafka's committed offset is the next one to read; None while nothing is done."""
        return self._next

    @property
    def in_flight(self) -> int:
        """Delivered records not yet done."""
        return len(self._waiting) - len(self._done)
