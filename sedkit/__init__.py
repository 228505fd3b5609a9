"""sedkit: sound event detection toolkit for DCASE (recipes, scoring, features).

Importing the package is cheap on purpose: it must not import torch, so that
``sedkit eval`` and ``sedkit --help`` start fast.
"""

__version__ = "0.1.0"
