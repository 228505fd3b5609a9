from dataclasses import dataclass, field
from typing import List, Literal, Optional

import pytest

from sedkit.config import (ConfigError, apply_overrides, config_digest, dump_yaml, from_dict, load_config,
                           load_yaml, to_dict)


@dataclass
class Inner:
    rate: float = 0.5
    names: List[str] = field(default_factory=list)


@dataclass
class Outer:
    n: int = 3
    mode: Literal["a", "b"] = "a"
    limit: Optional[float] = None
    inner: Inner = field(default_factory=Inner)


def test_defaults_and_widening():
    cfg = from_dict(Outer, {"n": 4, "limit": 2, "inner": {"rate": 1}})
    assert cfg == Outer(n=4, limit=2.0, inner=Inner(rate=1.0))
    assert isinstance(cfg.limit, float)


@pytest.mark.parametrize("data, message", [
    ({"nn": 1}, "unknown key nn; valid keys: n, mode, limit, inner"),
    ({"inner": {"rat": 1}}, "unknown key inner.rat; valid keys of inner: rate, names"),
    ({"n": 1.5}, "n: expected an integer"),
    ({"n": True}, "n: expected an integer"),
    ({"mode": "c"}, "mode: expected one of 'a', 'b'"),
    ({"limit": "x"}, "limit: expected float or NoneType"),
    ({"inner": {"names": "x"}}, "inner.names: expected a list"),
])
def test_strict_errors(data, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        from_dict(Outer, data)


def test_duplicate_key_rejected(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("n: 1\nn: 2\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: duplicate key 'n' at line 2"):
        load_yaml(path)


def test_invalid_yaml_and_missing_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("n: [1\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_yaml(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_yaml(tmp_path / "missing.yaml")
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_yaml(path)


def test_overrides_and_roundtrip(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("n: 1\ninner:\n  rate: 0.1\n")
    cfg = load_config(Outer, path, ["inner.names=[x, y]", "limit=null", "mode=b"])
    assert cfg == Outer(n=1, mode="b", limit=None, inner=Inner(0.1, ["x", "y"]))
    path.write_text(dump_yaml(to_dict(cfg)))
    assert load_config(Outer, path) == cfg
    with pytest.raises(ConfigError, match="expected section.key=value"):
        apply_overrides({}, ["n"])
    with pytest.raises(ConfigError, match=r"c\.yaml: unknown key bogus"):
        load_config(Outer, path, ["bogus=1"])


def test_digest_changes_with_values():
    assert config_digest(Outer()) == config_digest(Outer())
    assert config_digest(Outer()) != config_digest(Outer(n=4))


def test_layered_config_files(tmp_path):
    base, top = tmp_path / "base.yaml", tmp_path / "top.yaml"
    base.write_text("n: 1\ninner:\n  rate: 0.1\n  names: [a]\n")
    top.write_text("inner:\n  rate: 0.7\n")
    cfg = load_config(Outer, [base, top], ["mode=b"])
    assert cfg == Outer(n=1, mode="b", inner=Inner(0.7, ["a"]))
