"""Neural networks (take tensors; know neither corpora nor training schemes)."""
