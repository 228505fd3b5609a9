"""Training: the shared trainer, mean-teacher utilities, the SED systems of the MMT-DA paper."""
