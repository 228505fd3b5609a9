"""Data: sound banks, soundscape synthesis, corpora and datasets."""
