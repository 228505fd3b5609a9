"""Energy of training and decoding runs, as DCASE task 4 asks every submission to report (kWh).

Measured with CodeCarbon's offline tracker (``pip install 'sedkit[energy]'``; it reads the CPU's RAPL counters
where the kernel exposes them, or estimates from the CPU model's TDP and load, and GPU power through NVML) in
task mode: one task per training epoch (the ``energy_kwh`` column of ``metrics.csv``, summed like ``time_s`` so a
run resumed over several sittings counts each epoch once) and one per decoding run (``energy.json`` beside its
scores). Only the energy is used; the country CodeCarbon needs for its emission factors does not change it.
Without CodeCarbon nothing is measured and nothing else changes: one note says so. The environment variable
``SEDKIT_ENERGY=off`` switches the measurement off (the test suite sets it: starting a tracker costs about 1.5 s).
"""
from __future__ import annotations

import logging
from typing import Optional

__all__ = ["EnergyMeter", "NOT_INSTALLED"]

NOT_INSTALLED = "energy: not measured (CodeCarbon is not installed: pip install 'sedkit[energy]')"


class EnergyMeter:
    """``start()``, then ``begin(name)`` / ``end()`` (kWh of that stretch) any number of times, then ``stop()``."""

    def __init__(self, enabled: bool = True):
        import os

        self.tracker = None
        self.note: Optional[str] = None
        if not enabled or os.environ.get("SEDKIT_ENERGY", "").lower() in ("off", "0", "false"):
            return
        try:
            from codecarbon import OfflineEmissionsTracker
        except ImportError:
            self.note = NOT_INSTALLED
            return
        logging.getLogger("codecarbon").setLevel(logging.ERROR)  # after the import, which sets its own level
        self.tracker = OfflineEmissionsTracker(country_iso_code="FRA", output_methods=[], log_level="error",
                                               tracking_mode="process")

    @property
    def available(self) -> bool:
        return self.tracker is not None

    def start(self) -> None:
        if self.tracker is not None:
            self.tracker.start()

    def begin(self, name: str) -> None:
        if self.tracker is not None:
            self.tracker.start_task(name)

    def end(self) -> Optional[float]:
        """kWh since the matching :meth:`begin` (None without CodeCarbon)."""
        if self.tracker is None:
            return None
        data = self.tracker.stop_task()
        return float(data.energy_consumed) if data is not None else None

    def stop(self) -> None:
        if self.tracker is not None:
            self.tracker.stop()
