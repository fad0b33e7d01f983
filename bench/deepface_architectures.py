"""DeepFace's attribute models rebuilt as ONNX graphs with random weights, for timing only.

Same layers, shapes and FLOPs as deepface's own models (the VGG-Face trunk under age, gender and
race; the small CNN for emotion), channels-last input like deepface's onnx graphs, so ONNX
Runtime does the same work it does on the real files. THE OUTPUTS MEAN NOTHING: use these to
measure speed and memory, never accuracy. About 550 MB per VGG model, written where asked.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VGG_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
VGG_HEADS = {"age_model_weights.onnx": 101, "gender_model_weights.onnx": 2,
             "race_model_single_batch.onnx": 6}


class _Graph:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def op(self, kind: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def tensor(self, shape: tuple[int, ...], scale: float) -> str:
        name = self.name("w")
        values = (self.rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)
        self.weights.append(numpy_helper.from_array(values, name))
        return name

    def conv(self, x: str, c_in: int, c_out: int, k: int, *, pad: int = 0, relu: bool = True) -> str:
        w = self.tensor((c_out, c_in, k, k), (2.0 / (c_in * k * k)) ** 0.5)
        b = self.tensor((c_out,), 0.01)
        y = self.op("Conv", [x, w, b], pads=[pad] * 4)
        return self.op("Relu", [y]) if relu else y

    def dense(self, x: str, n_in: int, n_out: int, *, relu: bool) -> str:
        y = self.op("Gemm", [x, self.tensor((n_in, n_out), (2.0 / n_in) ** 0.5),
                             self.tensor((n_out,), 0.01)])
        return self.op("Relu", [y]) if relu else y

    def model(self, out: str, hwc: tuple[int, int, int], classes: int) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, "deepface_architecture",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *hwc])],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", classes])],
            initializer=self.weights,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        return model


def vgg_face_classifier(classes: int, *, seed: int) -> onnx.ModelProto:
    """deepface's VggFace trunk up to its second 4096 layer, then Conv(classes, 1x1), softmax."""
    g = _Graph(seed)
    x, channels = g.op("Transpose", ["input"], perm=[0, 3, 1, 2]), 3
    for width, repeat in VGG_BLOCKS:
        for _ in range(repeat):
            x, channels = g.conv(x, channels, width, 3, pad=1), width
        x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.conv(x, 512, 4096, 7)
    x = g.conv(x, 4096, 4096, 1)
    x = g.conv(x, 4096, classes, 1, relu=False)
    return g.model(g.op("Softmax", [g.op("Flatten", [x])], axis=1), (224, 224, 3), classes)


def emotion_cnn(*, seed: int) -> onnx.ModelProto:
    """deepface's emotion model: 48x48 grey, three conv stages, two 1024 dense layers, 7 classes."""
    g = _Graph(seed)
    x = g.op("Transpose", ["input"], perm=[0, 3, 1, 2])
    x = g.op("MaxPool", [g.conv(x, 1, 64, 5)], kernel_shape=[5, 5], strides=[2, 2])
    x = g.conv(g.conv(x, 64, 64, 3), 64, 64, 3)
    x = g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2])
    x = g.conv(g.conv(x, 64, 128, 3), 128, 128, 3)
    x = g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2])
    x = g.dense(g.op("Flatten", [x]), 128, 1024, relu=True)
    x = g.dense(x, 1024, 1024, relu=True)
    x = g.dense(x, 1024, 7, relu=False)
    return g.model(g.op("Softmax", [x], axis=1), (48, 48, 1), 7)


def write_all(weights_home: Path) -> Path:
    """Write the four files into `<weights_home>/.deepface/weights/` unless already there."""
    folder = weights_home / ".deepface" / "weights"
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, classes) in enumerate(VGG_HEADS.items()):
        if not (folder / name).is_file():
            onnx.save(vgg_face_classifier(classes, seed=seed), str(folder / name))
    if not (folder / "facial_expression_model_weights.onnx").is_file():
        onnx.save(emotion_cnn(seed=9), str(folder / "facial_expression_model_weights.onnx"))
    return folder
