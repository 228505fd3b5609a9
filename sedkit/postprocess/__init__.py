"""Post-processing: frame scores -> thresholds -> per-class median filter -> events (no torch)."""
