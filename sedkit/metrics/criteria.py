"""PSDS criteria as one frozen, keyword-only value, and DCASE's two scenarios as named presets.

PSDS (Bilen et al., "A Framework for the Robust Evaluation of Sound Event Detection", ICASSP 2020) depends on
six numbers: the detection tolerance criterion ``dtc``, the ground-truth intersection criterion ``gtc``, the
cross-trigger tolerance criterion ``cttc``, the cross-trigger weight ``alpha_ct``, the class-instability weight
``alpha_st`` and ``max_efpr`` (effective false positives per hour up to which the area runs; ``None``: psds_eval's
"up to the largest eFPR seen", for operating points only). Every PSDS function of sedkit takes one
:class:`PSDSCriteria` and no defaults of its own, so a number cannot silently differ between two callers.

DCASE task 4 (2021-2024) reports two scenarios:

| preset | dtc | gtc | cttc | alpha_ct | alpha_st | max_efpr |
|---|---|---|---|---|---|---|
| ``scenario(1)``: onsets and offsets matter | 0.7 | 0.7 | 0.3 | 0 | 1 | 100 |
| ``scenario(2)``: which class, cross-triggers cost | 0.1 | 0.1 | 0.3 | 0.5 | 1 | 100 |
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from sedkit.errors import InputError

__all__ = ["PSDSCriteria", "scenario", "SCENARIOS"]


@dataclass(frozen=True, kw_only=True)
class PSDSCriteria:
    dtc: float
    gtc: float
    cttc: float
    alpha_ct: float
    alpha_st: float
    max_efpr: Optional[float]

    def __post_init__(self):
        for name in ("dtc", "gtc", "cttc", "alpha_ct"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError(f"{name} must be in [0, 1], got {value}")
        if self.alpha_st < 0:
            raise InputError(f"alpha_st must be >= 0, got {self.alpha_st}")
        if self.max_efpr is not None and not self.max_efpr > 0:
            raise InputError(f"max_efpr must be > 0, got {self.max_efpr}")

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def cross_trigger_tolerance(self) -> Optional[float]:
        """cttc where cross-triggers are counted (alpha_ct > 0), else None: the counting passes skip them."""
        return self.cttc if self.alpha_ct > 0 else None

    def replace(self, **changes) -> "PSDSCriteria":
        return PSDSCriteria(**{**asdict(self), **changes})

    def scenario(self) -> Optional[int]:
        """The DCASE scenario these criteria are, or None."""
        return next((number for number, preset in SCENARIOS.items() if preset == self), None)


SCENARIOS = {1: PSDSCriteria(dtc=0.7, gtc=0.7, cttc=0.3, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0),
             2: PSDSCriteria(dtc=0.1, gtc=0.1, cttc=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)}


def scenario(number: int | str) -> PSDSCriteria:
    """DCASE's scenario 1 or 2 (module docstring); anything else is an InputError."""
    try:
        return SCENARIOS[int(number)]
    except (KeyError, ValueError):
        raise InputError(f"unknown PSDS scenario {number!r}: 1 or 2") from None
