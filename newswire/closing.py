"""The exit every resource of newswire shares (STYLE.md, practice 7): an async context
manager whose ``__aexit__`` is its idempotent ``aclose()``, so ``async with`` and an
``AsyncExitStack`` (or a plain ``await resource.aclose()``) close it the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class AsyncClosing(ABC):
    """Base of the resources: subclasses write ``__aenter__`` (open, and close again on a
    failed open) and ``aclose`` (idempotent, never raises for an already closed resource)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the resource holds. Idempotent."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Closing(ABC):
    """The same for the blocking resources (SQLite and PostgreSQL stores, the page cache):
    ``with`` opens nothing more, and its exit is the idempotent ``close()``."""

    @abstractmethod
    def close(self) -> None:
        """Release what the resource holds. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
