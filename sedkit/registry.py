"""One registry class for everything sedkit finds by name: models (``model_name``), classification criteria
(``criterion.name``) and SED systems (``system.name``).

A name is registered once: a second registration under the same name is refused with both definitions' places
(a silently replaced entry is how one plug-in would hide another). Unknown names are one-line input errors that
list the known ones. ``load_builtin`` imports the modules that register the built-in entries, on first use.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

from sedkit.errors import InputError

__all__ = ["Registry", "RegistryError", "definition_place"]


class RegistryError(ValueError):
    """A name registered twice (a programming error, not bad user input)."""


class Registry:
    def __init__(self, kind: str, config_key: str, load_builtin: Optional[Callable[[], None]] = None):
        self.kind, self.config_key = kind, config_key
        self._load_builtin = load_builtin
        self._entries: Dict[str, Tuple[Any, str]] = {}  # name -> (entry, where it was registered)

    def _loaded(self) -> None:
        if self._load_builtin is not None:
            load, self._load_builtin = self._load_builtin, None
            load()

    def register(self, name: str, entry: Any, where: Optional[str] = None) -> None:
        """Register ``entry`` under ``name``; ``where`` (default: the caller's file and line) names the place."""
        if where is None:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename == __file__:
                frame = frame.f_back
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
        if name in self._entries:
            raise RegistryError(f"{self.kind} {name!r} is registered twice: at {self._entries[name][1]} and at {where}")
        self._entries[name] = (entry, where)

    def decorator(self, name: str, make_entry: Callable[[Any], Any] = lambda cls: cls) -> Callable:
        """A class decorator registering ``make_entry(cls)`` under ``name`` (the place: the class's definition)."""
        def wrap(cls):
            self.register(name, make_entry(cls), definition_place(cls))
            return cls
        return wrap

    def get(self, name: str) -> Any:
        self._loaded()
        if name not in self._entries:
            raise InputError(f"{self.config_key}: unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
        return self._entries[name][0]

    def where(self, name: str) -> str:
        self._loaded()
        return self._entries[name][1]

    def names(self) -> List[str]:
        self._loaded()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._loaded()
        return name in self._entries


def definition_place(cls) -> str:
    """``file:line`` where a class is defined (its module and name where the source cannot be found)."""
    import inspect

    try:
        return f"{inspect.getsourcefile(cls)}:{inspect.getsourcelines(cls)[1]}"
    except (OSError, TypeError):
        return f"{cls.__module__}.{cls.__qualname__}"
