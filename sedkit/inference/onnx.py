"""ONNX export of a model package, and an onnxruntime backend for the Detector.

The graph holds the network only: normalised log-mel ``x`` (batch, frames, mels) in, frame probabilities
``frame`` (batch, frames / time pooling, classes) out, with batch and frame axes dynamic. The log-mel front
end stays outside (``torch.stft`` has no stable ONNX export); the Detector computes it as for a package and
feeds the session. Everything else of the package (classes, feature config, normalisation, frame hop, window,
thresholds, median windows, provenance) rides in the model's ``metadata_props`` as JSON under
``sedkit_package``, so an ``.onnx`` file is a complete detector for ``sedkit infer --model``.
Needs the optional extra: ``pip install 'sedkit[onnx]'`` (onnx, onnxruntime).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Tuple

import numpy as np

from sedkit.errors import InputError
from sedkit.inference.package import FORMAT_VERSION, ModelPackage

__all__ = ["export_onnx", "load_onnx", "METADATA_KEY"]

METADATA_KEY = "sedkit_package"


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"ONNX needs {module}: pip install 'sedkit[onnx]'") from None


def export_onnx(package: ModelPackage, path: str | Path, opset: int = 17) -> Path:
    """Write the package's network as ONNX with the package's metadata; returns the path."""
    import torch

    onnx = _require("onnx")
    network = package.build_network()

    class FrameScores(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)["frame"]

    frames = int(round(package.window_s / package.feature_config().frame_hop_s)) + 1
    example = torch.zeros(1, frames, len(package.stats_mean), dtype=torch.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    import warnings

    with warnings.catch_warnings():
        # The tracer warns that a GRU exported with a variable batch may misbehave and that shape checks become
        # constants: both are covered by the parity test (other batch sizes and lengths than the example).
        warnings.simplefilter("ignore")
        torch.onnx.export(FrameScores(network).eval(), (example,), str(temporary), input_names=["x"],
                          output_names=["frame"], dynamic_axes={"x": {0: "batch", 1: "frames"},
                                                                "frame": {0: "batch", 1: "out_frames"}},
                          opset_version=opset, dynamo=False)
    model = onnx.load(str(temporary))
    metadata = dict(package.metadata(), stats_mean=np.asarray(package.stats_mean).tolist(),
                    stats_std=np.asarray(package.stats_std).tolist(), version=FORMAT_VERSION)
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata, sort_keys=True)
    onnx.save(model, str(temporary))
    temporary.replace(path)
    return path


def load_onnx(path: str | Path) -> Tuple[ModelPackage, Callable[[np.ndarray], np.ndarray]]:
    """(the package's metadata without weights, a function normalised log-mel -> frame probabilities)."""
    onnxruntime = _require("onnxruntime")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such ONNX model")
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for a corrupt file
        raise InputError(f"{path}: not an ONNX model ({str(exc).splitlines()[0][:120]})") from None
    text = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    if text is None:
        raise InputError(f"{path}: an ONNX model without sedkit's metadata (export it with sedkit export --onnx)")
    try:
        metadata = json.loads(text)
        if metadata.get("version") != FORMAT_VERSION:
            raise InputError(f"{path}: sedkit metadata version {metadata.get('version')!r}; this sedkit reads "
                             f"{FORMAT_VERSION}")
        package = ModelPackage(model_name=metadata["model_name"], model=metadata["model"],
                               features=metadata["features"], classes=list(metadata["classes"]),
                               frame_hop_s=float(metadata["frame_hop_s"]), window_s=float(metadata["window_s"]),
                               thresholds=metadata["thresholds"], median_windows_s=metadata["median_windows_s"],
                               stats_mean=np.asarray(metadata["stats_mean"], dtype=np.float64),
                               stats_std=np.asarray(metadata["stats_std"], dtype=np.float64), weights={},
                               provenance=metadata["provenance"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed sedkit metadata in the ONNX model ({exc})") from None

    def forward(x: np.ndarray) -> np.ndarray:
        return session.run(["frame"], {"x": np.ascontiguousarray(x, dtype=np.float32)})[0]

    return package, forward
