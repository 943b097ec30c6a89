"""The exit every resource of newswire shares (STYLE.md, practice 7): an async context
manager whose ``__aexit__`` is its idempotent ``aclose()``, so ``async with`` and an
``AsyncExitStack`` (or a plain ``await resource.aclose()``) close it the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


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
