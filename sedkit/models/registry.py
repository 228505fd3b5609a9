"""Models by name: configs say ``model_name: crnn`` and the registry builds it (a :class:`sedkit.registry.Registry`)."""
from __future__ import annotations

from typing import Callable, Tuple, Type

from sedkit.registry import Registry


def _load_builtin() -> None:
    import sedkit.models.classifiers  # noqa: F401  (registers cnn, cpresnet)
    import sedkit.models.crnn  # noqa: F401  (registers itself)


MODELS = Registry("model", "model_name", _load_builtin)


def register(name: str, config_class: Type) -> Callable:
    """Class decorator: register a model class under ``name`` with its config dataclass (once)."""
    return MODELS.decorator(name, lambda model_class: (model_class, config_class))


def model_names() -> list:
    return MODELS.names()


def get(name: str) -> Tuple[Type, Type]:
    """(model class, config class) registered under ``name``."""
    return MODELS.get(name)


def model_config_types(name: str) -> type:
    """The config dataclass of the model registered under ``name`` (the type of an experiment's ``model:``)."""
    return get(name)[1]


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
