"""Stand-in ONNX files for DeepFace's attribute models, generated at test time.

THEIR OUTPUTS CARRY NO MEANING: random weights behind the real models' input and output
shapes, so that DeepFace's real loading, preprocessing and post-processing code runs offline.
Never committed; written into a temporary weights dir (`<dir>/.deepface/weights/`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# file name -> (input height, width, channels, output classes), as deepface's onnx models
DEEPFACE_ATTRIBUTE_MODELS = {
    "age_model_weights.onnx": (224, 224, 3, 101),
    "gender_model_weights.onnx": (224, 224, 3, 2),
    "race_model_single_batch.onnx": (224, 224, 3, 6),
    "facial_expression_model_weights.onnx": (48, 48, 1, 7),
}


def classifier(height: int, width: int, channels: int, classes: int, *, seed: int) -> onnx.ModelProto:
    """NHWC image -> mean over pixels -> dense -> softmax: (N, classes) probabilities."""
    rng = np.random.default_rng(seed)
    weights = numpy_helper.from_array(rng.normal(size=(channels, classes)).astype(np.float32) * 8, "w")
    bias = numpy_helper.from_array(rng.normal(size=(classes,)).astype(np.float32), "b")
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["pooled"], axes=[1, 2], keepdims=0),
        helper.make_node("MatMul", ["pooled", "w"], ["logits0"]),
        helper.make_node("Add", ["logits0", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["output"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "standin",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", height, width, channels])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", classes])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_deepface_standins(weights_home: Path) -> Path:
    """Fill `<weights_home>/.deepface/weights/` and return that folder."""
    folder = weights_home / ".deepface" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, shape) in enumerate(DEEPFACE_ATTRIBUTE_MODELS.items()):
        onnx.save(classifier(*shape, seed=seed), str(folder / name))
    return folder
