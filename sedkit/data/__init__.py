"""Data: generated signals, sound banks, soundscape synthesis and datasets."""
