"""Models by name: configs say ``model.name: crnn`` and the registry builds it."""
from __future__ import annotations

from typing import Callable, Dict, Tuple, Type

from sedkit.errors import InputError

_MODELS: Dict[str, Tuple[Type, Type]] = {}


def register(name: str, config_class: Type) -> Callable:
    """Class decorator: register a model class under ``name`` with its config dataclass."""
    def wrap(model_class):
        _MODELS[name] = (model_class, config_class)
        return model_class
    return wrap


def model_names() -> list:
    _load_builtin()
    return sorted(_MODELS)


def get(name: str) -> Tuple[Type, Type]:
    """(model class, config class) registered under ``name``."""
    _load_builtin()
    if name not in _MODELS:
        raise InputError(f"unknown model {name!r}; known: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def model_config_types(name: str) -> type:
    """The config dataclass of the model registered under ``name`` (the type of an experiment's ``model:``)."""
    return get(name)[1]


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _load_builtin() -> None:
    import sedkit.models.classifiers  # noqa: F401  (registers cnn, cpresnet)
    import sedkit.models.crnn  # noqa: F401  (registers itself)
