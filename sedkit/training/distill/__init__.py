"""Distillation criteria for clip classification (one file a method): label smoothing family, MrKD."""
