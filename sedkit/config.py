"""Strict YAML -> dataclass configuration.

Every configurable part of sedkit has a dataclass beside its code (``LogMelConfig``, ...). This module
turns YAML (or plain dicts) into those dataclasses *strictly*: unknown keys and duplicate keys are errors
that list the valid keys, and values are type-checked (an int is accepted where a float is expected,
nothing else is coerced silently). Command-line overrides are ``section.key=value`` tokens whose values
are parsed as YAML scalars (``hop_length=512``, ``f_max=null``, ``classes=[a, b]``).

This is the only config loader in sedkit: training, features and recipes all go through it.
"""
from __future__ import annotations

import dataclasses
import io
import typing
from pathlib import Path
from typing import Any, Mapping, Sequence, Type, TypeVar

import yaml

from sedkit.errors import InputError

T = TypeVar("T")

__all__ = [
    "ConfigError",
    "from_dict",
    "to_dict",
    "load_yaml",
    "dump_yaml",
    "load_config",
    "apply_overrides",
    "config_digest",
    "merge",
    "resolve_chosen_fields",
]


class ConfigError(InputError):
    """A configuration is invalid (unknown key, wrong type, bad override)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise ConfigError(f"duplicate key {key!r} at line {line}")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping from ``path``; duplicate keys and non-mapping documents are errors."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values, got {type(data).__name__}")
    return data


def dump_yaml(data: Mapping[str, Any]) -> str:
    """YAML text for a plain mapping, keys in insertion order (the dataclass field order)."""
    stream = io.StringIO()
    yaml.safe_dump(dict(data), stream, sort_keys=False, default_flow_style=False)
    return stream.getvalue()


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check_value(value: Any, tp: Any, where: str) -> Any:
    """Return ``value`` checked against the annotation ``tp`` (with int -> float widening)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is typing.Union:
        for arg in args:
            try:
                return _check_value(value, arg, where)
            except ConfigError:
                pass
        raise ConfigError(f"{where}: expected {' or '.join(_type_name(a) for a in args)}, got {value!r}")
    if tp is type(None):
        if value is None:
            return None
        raise ConfigError(f"{where}: expected null, got {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
    if origin in (list, tuple, Sequence) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
            items = [_check_value(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args))]
        else:
            item_tp = args[0] if args else Any
            items = [_check_value(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple or tp is tuple else items
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        key_tp, val_tp = args if args else (Any, Any)
        return {_check_value(k, key_tp, f"{where} key"): _check_value(v, val_tp, f"{where}.{k}")
                for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping for {tp.__name__}, got {value!r}")
        return from_dict(tp, value, where=where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def from_dict(cls: Type[T], data: Mapping[str, Any], where: str = "") -> T:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and ill-typed values.

    Missing keys take the dataclass defaults. The dataclass's ``__post_init__`` runs afterwards and may
    raise :class:`ConfigError` for cross-field checks. A dataclass whose field types depend on a choice made
    in the same mapping (``model:`` typed by ``model_name``, from the model registry) gives them with a static
    method ``config_field_types(data) -> {field: type}``. A dataclass whose keys moved gives a static method
    ``config_migrations(data) -> data`` that rewrites a mapping written before the move (a stored
    experiment, a model package) into today's keys; it runs first, so the strict check sees today's keys.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    migrate = getattr(cls, "config_migrations", None)
    if migrate is not None and isinstance(data, Mapping):
        data = migrate(dict(data))
    hints = typing.get_type_hints(cls)
    chosen = getattr(cls, "config_field_types", None)
    if chosen is not None:  # fields typed by a registry choice in the same mapping (model by model_name)
        try:
            hints.update(chosen(data))
        except ConfigError:
            raise
        except InputError as exc:  # an unknown name in the registry
            raise ConfigError(f"{where + ': ' if where else ''}{exc}") from None
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    prefix = f"{where}." if where else ""
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ConfigError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(prefix + str(k) for k in unknown)}; "
            f"valid keys{' of ' + where if where else ''}: {', '.join(fields)}")
    kwargs = {name: _check_value(value, hints[name], prefix + name) for name, value in data.items()}
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where or cls.__name__}: {exc}") from None


def resolve_chosen_fields(obj: Any) -> None:
    """For a dataclass with ``config_field_types`` (see :func:`from_dict`) built directly rather than loaded:
    turn each such field that is not yet of its chosen type (a default, ``None`` or a mapping) into it, so that
    ``Config()`` and ``Config(model_name="x")`` hold the registry's config classes too. Call from
    ``__post_init__``."""
    values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    for name, cls in type(obj).config_field_types(values).items():
        value = values[name]
        if not isinstance(value, cls):
            setattr(obj, name, from_dict(cls, value if isinstance(value, Mapping) else {}, where=name))


def to_dict(obj: Any) -> dict:
    """Plain-python mapping of a dataclass (tuples become lists so that YAML stays readable)."""
    def convert(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value
    return convert(obj)


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict:
    """Return a copy of ``data`` with ``section.key=value`` tokens applied (values parsed as YAML).

    Only the syntax is checked here; whether the key exists is checked by :func:`from_dict`.
    """
    result = _deep_copy(data)
    for token in overrides:
        if "=" not in token:
            raise ConfigError(f"override {token!r}: expected section.key=value")
        dotted, raw = token.split("=", 1)
        keys = dotted.strip().split(".")
        if not all(keys):
            raise ConfigError(f"override {token!r}: empty key")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"override {token!r}: value is not valid YAML") from None
        node = result
        for key in keys[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                raise ConfigError(f"override {token!r}: {key!r} is not a section")
            node = child
        node[keys[-1]] = value
    return result


def _deep_copy(data: Mapping[str, Any]) -> dict:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict:
    """``base`` with ``update`` applied recursively (sections merge, values replace)."""
    result = _deep_copy(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = _deep_copy(value) if isinstance(value, Mapping) else value
    return result


def load_config(cls: Type[T], path: str | Path | Sequence[str | Path] | None = None,
                overrides: Sequence[str] = ()) -> T:
    """Load dataclass ``cls`` from optional YAML file(s) (later ones override earlier ones, section by
    section) plus ``key=value`` overrides."""
    paths = [] if path is None else [path] if isinstance(path, (str, Path)) else list(path)
    data: dict = {}
    for item in paths:
        data = merge(data, load_yaml(item))
    data = apply_overrides(data, overrides)
    try:
        return from_dict(cls, data)
    except ConfigError as exc:
        if paths:
            raise ConfigError(f"{', '.join(map(str, paths))}: {exc}") from None
        raise


def config_digest(obj: Any) -> str:
    """Short stable hash of a config (dataclass or mapping): used to tell whether outputs are current."""
    import hashlib
    import json

    data = to_dict(obj) if dataclasses.is_dataclass(obj) else obj
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
