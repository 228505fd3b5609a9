"""One Registry for models, criteria and systems: duplicates refused with both places, unknown names listed."""
import pytest

from sedkit.errors import InputError
from sedkit.registry import Registry, RegistryError


def test_duplicate_names_are_refused_with_both_places():
    registry = Registry("model", "model_name")
    registry.register("toy", object(), "a.py:1")
    with pytest.raises(RegistryError, match=r"model 'toy' is registered twice: at a\.py:1 and at .*test_registry\.py:"):
        registry.register("toy", object())
    assert registry.names() == ["toy"]


def test_unknown_names_list_the_known_ones():
    registry = Registry("system", "system.name", lambda: registry.register("da", 1, "b.py:2"))
    with pytest.raises(InputError, match=r"system.name: unknown system 'dx'; known: da"):
        registry.get("dx")
    assert "da" in registry and registry.get("da") == 1 and registry.where("da") == "b.py:2"


REGISTRIES = [("sedkit.models.registry", "MODELS"), ("sedkit.training.criteria", "CRITERIA"),
              ("sedkit.training.mmt_da", "SYSTEMS")]


@pytest.mark.parametrize("module, name", REGISTRIES)
def test_sedkit_registries_refuse_a_second_builtin(module, name):
    import importlib

    registry = getattr(importlib.import_module(module), name)
    first = registry.names()[0]
    with pytest.raises(RegistryError, match=f"'{first}' is registered twice"):
        registry.register(first, object())


def test_a_class_decorated_twice_under_one_name_fails(monkeypatch):
    from sedkit.models import registry

    registry.model_names()
    monkeypatch.setattr(registry.MODELS, "_entries", dict(registry.MODELS._entries))
    with pytest.raises(RegistryError, match="model 'crnn' is registered twice: at .*crnn.py"):
        @registry.register("crnn", dict)
        class Another:
            pass
