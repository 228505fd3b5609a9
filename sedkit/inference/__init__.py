"""Inference with a trained detector: the model package and the windowed Detector (docs/inference.md)."""
from sedkit.inference.detector import Detector, Scored, WindowConfig
from sedkit.inference.package import ModelPackage, read_package, write_package

__all__ = ["Detector", "Scored", "WindowConfig", "ModelPackage", "read_package", "write_package"]
