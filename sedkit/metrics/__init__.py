"""SED metrics (event-based, segment-based, PSDS) on tables and score arrays; never imports torch."""
