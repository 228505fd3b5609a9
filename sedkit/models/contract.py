"""What sedkit asks of a SED network: the contract the SED task, the training systems, export and inference
rely on, instead of any one model's fields (so that a model family other than the CRNN plugs in by
registration: :func:`sedkit.models.registry.register`).

A SED network is a ``torch.nn.Module`` with

- ``forward(x)``: normalised log-mel ``x`` of shape (batch, frames T, mel bands) -> a dict with ``frame``
  (batch, T', classes) probabilities in [0, 1], ``clip`` (batch, classes) probabilities and
  ``domain_features`` (batch, T', D): the embedding a domain classifier (GRL) reads, per output frame;
- ``output_frames(T) -> T'``: how many output frames an input of T frames gives;
- ``frame_pooling``: input frames per output frame (the output frame hop is ``frame_pooling`` times the
  feature hop; labels are encoded on that grid);
- ``domain_feature_dim``: D.

Its config (the registry's config class) has ``n_classes`` and ``n_mels``, which the task checks against the
data. Everything about *training* the domain classifier (its hidden units, dropout, weight) belongs to the
system (:class:`sedkit.training.mmt_da.SystemConfig`), not to the network.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["SEDNetwork", "check_sed_network", "CONTRACT"]

CONTRACT = ("output_frames", "frame_pooling", "domain_feature_dim")


@runtime_checkable
class SEDNetwork(Protocol):
    frame_pooling: int
    domain_feature_dim: int

    def output_frames(self, n_frames: int) -> int: ...

    def __call__(self, x): ...


def check_sed_network(network, model_name: str) -> None:
    """Raise a one-line error naming what a network registered as ``model_name`` lacks of the contract."""
    from sedkit.errors import InputError

    missing = [name for name in CONTRACT if not hasattr(network, name)]
    config = getattr(network, "config", None)
    missing += [f"config.{name}" for name in ("n_classes", "n_mels") if not hasattr(config, name)]
    if missing:
        raise InputError(f"model_name {model_name}: {type(network).__name__} is not a SED network (sedkit.models."
                         f"contract): it lacks {', '.join(missing)}")
