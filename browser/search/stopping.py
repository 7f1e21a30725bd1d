"""When a running search gives up: deadlines, cancellation, and the places that check them.

Searches take turns on the index lock, so a stale search that runs on delays the one the
user is waiting for. A ``Stop`` is asked as every long loop goes: ours (posting blocks,
vocabulary walks) and Whoosh's (through ``checked`` queries and ``GuardedCollector``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any, Final, cast

from whoosh import query as wq
from whoosh.collectors import WrappingCollector

from browser.search.whoosh_internals import (
    MatcherWrapper,
    QueryWrapper,
    compile_range,
    fast_path,
)


class Interrupted(Exception):
    """A search reached its deadline, or its caller cancelled it, in the middle of matching."""


class Stop:
    """When a running search must give up: at its deadline (the typing pass) or when its
    caller cancels it (the app replaced it with a newer search).

    Searches take turns on the index lock, so a stale search that runs on delays the one
    the user is waiting for: every loop that can run long asks ``reached()`` as it goes.
    """

    __slots__ = ("_cancelled", "deadline", "stopped_early")

    def __init__(
        self, deadline: float | None = None, cancelled: Callable[[], bool] | None = None
    ) -> None:
        self.deadline = deadline
        self._cancelled = cancelled
        # Set by work that stopped here with a usable but incomplete answer.
        self.stopped_early = False

    @property
    def active(self) -> bool:
        return self.deadline is not None or self._cancelled is not None

    def cancelled(self) -> bool:
        return self._cancelled is not None and self._cancelled()

    def reached(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            return True
        return self.cancelled()

    def with_deadline(self, deadline: float | None) -> Stop:
        return Stop(deadline, self._cancelled)

    def check(self) -> None:
        if self.reached():
            raise Interrupted


NO_STOP: Final = Stop()


class CheckedMatcher(MatcherWrapper):
    """A matcher whose every step may raise ``Interrupted``.

    Some of Whoosh's matchers loop inside a single step without returning to the
    collector, where the deadline is checked: a NOT (``InverseMatcher``, ``AndNotMatcher``)
    walks past every document its negated part matches, and an AND walks both sides until
    they agree, which takes seconds at 100k papers for ``NOT abstract:[a TO z]`` or a
    common word AND a wide range that rarely meet. Wrapping the parts those loops step
    through puts the check inside the loop (a clock read per step, each step being a
    posting-list skip).
    """

    def __init__(self, child: Any, stop: Stop, boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.stop = stop

    def copy(self) -> CheckedMatcher:
        return type(self)(self.child.copy(), self.stop, self.boost)

    def rewrap(self, child: Any) -> CheckedMatcher:
        return type(self)(child, self.stop, self.boost)

    def next(self) -> Any:
        self.stop.check()
        return self.child.next()

    def skip_to(self, id: int) -> Any:
        self.stop.check()
        return self.child.skip_to(id)

    def all_ids(self) -> Iterator[int]:
        # WrappingMatcher hands this straight to the child, past next().
        check = self.stop.check
        for docnum in self.child.all_ids():
            check()
            yield docnum


class SkipCheckedMatcher(CheckedMatcher):
    """A matcher that may raise ``Interrupted`` only when asked to skip ahead.

    For the terms of a wide OR inside an AND: one skip of the OR skips each of its terms,
    reading block after block of each (90 ms for 128 terms at 100k papers), while its
    ``next()``, the common step of a plain OR, stays unchecked and as fast as before.
    """

    def next(self) -> Any:
        return self.child.next()

    def all_ids(self) -> Iterator[int]:
        return cast(Iterator[int], self.child.all_ids())


class Checked(QueryWrapper):
    """``child``, checking ``stop`` before its matcher is built and then, depending on
    ``steps``, at every step (``"all"``, see ``CheckedMatcher``), at every skip
    (``"skips"``) or never (``"none"``)."""

    def __init__(self, child: Any, stop: Stop, *, steps: str = "all") -> None:
        super().__init__(child)
        self.stop = stop
        self.steps = steps

    def rewrap(self, child: Any) -> Checked:
        return Checked(child, self.stop, steps=self.steps)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        self.stop.check()
        built = self.child.matcher(searcher, context)
        if self.steps == "all":
            return CheckedMatcher(built, self.stop)
        if self.steps == "skips":
            return SkipCheckedMatcher(built, self.stop)
        return built


class CheckedRange(Checked):
    """A numeric range becomes, per segment, an OR of trie terms whose constant-score
    matcher gathers every match while it is built (200 ms for half a year at 100k
    papers): each of those terms checks ``stop`` at every step."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        self.stop.check()
        compiled = compile_range(self.child, searcher.reader())
        stop = self.stop

        def check(node: Any) -> Any:
            return Checked(node, stop) if isinstance(node, wq.Term | wq.MultiTerm) else node

        return rewrite_top_down(compiled, check).matcher(searcher, context)


def checked(query: Any, stop: Stop) -> Any:
    """``query`` with the places where Whoosh works at length without returning to the
    collector able to stop: the negated part of every NOT and every part of an AND at each
    step (see ``CheckedMatcher``), and each term before its posting list is opened (a
    wide expansion opens 128 per segment, ~70 ms at 20k papers)."""
    if not stop.active or not fast_path():
        # Whoosh's public path: the collector still checks between matches.
        return query

    def check(node: Any) -> Any:
        if isinstance(node, wq.Term):
            return Checked(node, stop, steps="none")
        if isinstance(node, wq.NumericRange):
            return CheckedRange(node, stop)
        if isinstance(node, wq.Not):
            return wq.Not(Checked(rewrite_top_down(node.query, check), stop), boost=node.boost)
        if isinstance(node, wq.AndNot):
            a, b = (rewrite_top_down(part, check) for part in (node.a, node.b))
            return wq.AndNot(Checked(a, stop), Checked(b, stop))
        if isinstance(node, wq.And) and len(node.subqueries) > 1:
            parts = [rewrite_top_down(part, check) for part in node.subqueries]
            rebuilt = copy.copy(node)
            rebuilt.subqueries = [
                p if isinstance(p, wq.Not) else Checked(skips_checked(p, stop), stop) for p in parts
            ]
            return rebuilt
        return node

    return rewrite_top_down(query, check)


def skips_checked(part: Any, stop: Stop) -> Any:
    """An OR's terms made to check at each skip (see ``SkipCheckedMatcher``)."""
    if not isinstance(part, wq.Or):
        return part
    rebuilt = copy.copy(part)
    rebuilt.subqueries = [
        Checked(q.child, stop, steps="skips") if isinstance(q, Checked) and q.steps == "none" else q
        for q in part.subqueries
    ]
    return rebuilt


def rewrite_top_down(query: Any, fn: Callable[[Any], Any]) -> Any:
    """Like ``Query.accept`` but parents first, so ``fn`` sees a NOT before its child."""
    replaced = fn(query)
    if replaced is not query:
        return replaced
    if query.is_leaf():
        return query
    if isinstance(query, wq.CompoundQuery):
        # Not ``apply``: it rebuilds AND/OR from the children and boost alone, losing an
        # OR's matcher type (``union``), minmatch and scale.
        rebuilt = copy.copy(query)
        rebuilt.subqueries = [rewrite_top_down(child, fn) for child in query.subqueries]
        return rebuilt
    return query.apply(lambda child: rewrite_top_down(child, fn))


class GuardedCollector(WrappingCollector):  # type: ignore[misc]
    """Allow/deny sets of document numbers, an exact match count and a ``Stop``.

    Unlike whoosh's TimeLimitCollector this uses no SIGALRM (only possible on the main
    thread, and searches run in a worker thread) and no timer thread per keystroke: it
    checks between matches, and matchers made by ``checked`` check inside their skips;
    either way it stops quietly, keeping what it has collected.

    ``skip_deleted`` drops deleted documents Whoosh's matchers hand over: its NOT
    (``InverseMatcher``) yields the document after its child's last match even when that
    one is deleted (an old copy of a replaced paper). Term postings never do, so it is
    only asked for queries led by a NOT.
    """

    def __init__(
        self,
        child: Any,
        *,
        allowed: set[int] | None,
        denied: set[int],
        stop: Stop,
        skip_deleted: bool = False,
    ) -> None:
        super().__init__(child)
        self.allowed = allowed
        self.denied = denied
        self.stop = stop
        self.skip_deleted = skip_deleted
        self._is_deleted: Callable[[int], bool] | None = None
        self.matched = 0
        self.timed_out = False

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        # Building the next segment's matcher may be where the deadline passes: keep what
        # the earlier segments gave instead of losing it all to the exception.
        if self.timed_out:
            return
        try:
            super().set_subsearcher(subsearcher, offset)
        except Interrupted:
            self.timed_out = True
        reader = subsearcher.reader()
        self._is_deleted = (
            reader.is_deleted if self.skip_deleted and reader.has_deletions() else None
        )

    def collect_matches(self) -> None:
        child = self.child
        offset = child.offset
        allowed = self.allowed
        denied = self.denied
        is_deleted = self._is_deleted
        reached = self.stop.reached if self.stop.active else None
        if self.timed_out or (reached is not None and reached()):
            self.timed_out = True
            return
        try:
            # The clock at every match: a rare word AND a wide prefix yields few matches,
            # with long skips between them.
            for sub_docnum in child.matches():
                if reached is not None and reached():
                    self.timed_out = True
                    return
                docnum = offset + sub_docnum
                if (allowed is not None and docnum not in allowed) or docnum in denied:
                    continue
                if is_deleted is not None and is_deleted(sub_docnum):
                    continue
                self.matched += 1
                child.collect(sub_docnum)
        except Interrupted:
            self.timed_out = True
