"""Log-mel features: config and extractor (:mod:`.logmel`), folder extraction (:mod:`.extract`),
normalisation statistics (:mod:`.stats`). Import the submodules; this package imports nothing heavy."""
