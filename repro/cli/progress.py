"""Progress on stderr for work that can take more than a second or two (rich), shown only when
stderr is a terminal, so pipes, files and CI logs get none of it."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

Item = TypeVar("Item")


def showing() -> bool:
    """Whether progress is shown: stderr is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def spinner(label: str) -> Iterator[None]:
    """A spinner with ``label`` while the block runs (nothing when stderr is no terminal)."""
    if not showing():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(label):
        yield


def each(items: Iterable[Item], label: str, total: int | None = None) -> Iterator[Item]:
    """``items`` one by one, with a bar (``label``, done of ``total``) while there are more than
    one; nothing is shown when stderr is no terminal."""
    if not showing() or (total is not None and total < 2):
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns: list[Any] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, transient=True, console=_console()) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)
