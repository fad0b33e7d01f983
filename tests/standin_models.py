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
    return _model(nodes, [weights, bias], [height, width, channels],
                  [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", classes])])


def _model(nodes: list[onnx.NodeProto], initializers: list[onnx.TensorProto], input_hwc: list,  # type: ignore[type-arg]
           outputs: list[onnx.ValueInfoProto]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "standin",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *input_hwc])],
        outputs, initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # loadable by older onnxruntime releases too
    onnx.checker.check_model(model)
    return model


def write_deepface_standins(weights_home: Path) -> Path:
    """Fill `<weights_home>/.deepface/weights/` and return that folder."""
    folder = weights_home / ".deepface" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, shape) in enumerate(DEEPFACE_ATTRIBUTE_MODELS.items()):
        onnx.save(classifier(*shape, seed=seed), str(folder / name))
    return folder


def retinaface_standin(*, seed: int = 0) -> onnx.ModelProto:
    """retina-face's onnx graph shape: NHWC image in; per stride 32, 16, 8, three NHWC maps out
    (class scores 2x2, box deltas 2x4, landmark deltas 2x10), in that order. Each map is an
    average pool by its stride and a random 1x1 convolution (scores through a sigmoid)."""
    rng = np.random.default_rng(seed)
    initializers = []
    nodes = [helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2])]
    outputs = []
    for stride in (32, 16, 8):
        pooled = f"pool{stride}"
        nodes.append(helper.make_node("AveragePool", ["nchw"], [pooled],
                                      kernel_shape=[stride, stride], strides=[stride, stride]))
        for kind, channels in (("cls", 4), ("bbox", 8), ("landmark", 20)):
            name = f"{kind}{stride}"
            weight = rng.normal(size=(channels, 3, 1, 1)).astype(np.float32) * (20 if kind == "cls" else 0.5)
            initializers.append(numpy_helper.from_array(weight, f"w_{name}"))
            conv = f"conv_{name}"
            nodes.append(helper.make_node("Conv", [pooled, f"w_{name}"], [conv]))
            if kind == "cls":
                nodes.append(helper.make_node("Sigmoid", [conv], [f"sig_{name}"]))
                conv = f"sig_{name}"
            nodes.append(helper.make_node("Transpose", [conv], [name], perm=[0, 2, 3, 1]))
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                         ["N", "h", "w", channels]))
    return _model(nodes, initializers, ["H", "W", 3], outputs)


def write_retinaface_standin(weights_home: Path) -> Path:
    folder = weights_home / ".deepface" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(retinaface_standin(), str(folder / "retinaface.onnx"))
    return folder
