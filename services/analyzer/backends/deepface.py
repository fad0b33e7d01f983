"""Analyzer backend: DeepFace's age, gender, emotion and race models on aligned crops.

Crops come aligned from the detector, so DeepFace's detection is skipped. Models are built and
warmed once per process, only for the actions the configured cameras ask for, on the engine
from config. Labels and scores are DeepFace's own.

`DeepFace.analyze` runs its models one image at a time. Measured here, ONNX Runtime gains
nothing from batches of these models while TensorFlow and PyTorch gain 1.6-3x at 16, so crops
go through DeepFace's own preprocessing and each model's own `predict` in batches where the
engine profits (`BATCH_LIMIT`), with DeepFace's post-processing of `analyze` applied to each row.
"""
from __future__ import annotations

import importlib
from typing import Any, Sequence

import numpy as np

from common.config import ACTIONS, FaasConfig, FaasModel
from common.imaging import Image
from common.modelenv import weights_folder
from common.onnxrt import default_threads, session
from services.analyzer.backends import FaceAttributes

MODEL_NAMES = {"age": "Age", "gender": "Gender", "emotion": "Emotion", "race": "Race"}
_FILES = {
    "age": "age_model_weights",
    "gender": "gender_model_weights",
    "emotion": "facial_expression_model_weights",
    "race": "race_model_single_batch",
}
_SUFFIX = {"onnx": ".onnx", "tensorflow": ".h5", "pytorch": ".pth"}
_PACKAGE = {"onnx": "onnx", "tensorflow": "tf", "pytorch": "pytorch"}  # deepface's module names
BATCH_LIMIT = {"onnx": 1, "tensorflow": 16, "pytorch": 16}
INPUT_WH = (224, 224)


class Options(FaasModel):
    pass


def needed_actions(config: FaasConfig) -> tuple[str, ...]:
    """What the cameras ask for; a camera without `actions` (or no camera) wants everything."""
    cameras = config.enabled_cameras
    if not cameras or any(camera.actions is None for camera in cameras):
        return ACTIONS
    wanted = {action for camera in cameras for action in camera.actions or ()}
    return tuple(action for action in ACTIONS if action in wanted)


def weights(options: Options, config: FaasConfig) -> dict[str, list[str]]:
    found = {}
    for action in needed_actions(config):
        module = importlib.import_module(
            f"deepface.models.demography.{_PACKAGE[config.engine]}.{MODEL_NAMES[action]}")
        urls = module.WEIGHTS_URL
        found[_FILES[action] + _SUFFIX[config.engine]] = [urls] if isinstance(urls, str) else list(urls)
    return found


class Backend:
    name = "deepface"
    produces = frozenset(ACTIONS)

    def __init__(self, options: Options, config: FaasConfig) -> None:
        from deepface import DeepFace

        self.batch_limit = BATCH_LIMIT[config.engine]
        actions = needed_actions(config)
        self.models = {a: DeepFace.build_model(task="facial_attribute", model_name=MODEL_NAMES[a])
                       for a in actions}
        if config.engine == "onnx":
            # deepface builds its sessions without options; rebuild each from the same file with
            # ours (spinning off, threads per process). The clients keep working unchanged.
            threads = config.analyzer.threads or default_threads(config.analyzer.replicas)
            for action, model in self.models.items():
                path = weights_folder(config) / (_FILES[action] + _SUFFIX["onnx"])
                model.model = session(str(path), threads)
        self.analyze([np.zeros((112, 112, 3), np.uint8)], actions)  # warm up

    def analyze(self, crops: list[Image], actions: Sequence[str]) -> list[FaceAttributes]:
        results: list[FaceAttributes] = []
        for start in range(0, len(crops), self.batch_limit):
            results += self._batch(crops[start:start + self.batch_limit], actions)
        return results

    def _batch(self, crops: list[Image], actions: Sequence[str]) -> list[FaceAttributes]:
        from deepface.models.demography.DemographyUtils import (
            EMOTION_LABELS,
            GENDER_LABELS,
            RACE_LABELS,
        )

        batch = np.concatenate([_preprocess(crop) for crop in crops])
        rows: list[dict[str, Any]] = [{} for _ in crops]
        for action in actions:
            out = self.models[action].predict(batch if len(crops) > 1 else batch[0])
            if action == "age":
                for row, age in zip(rows, np.atleast_1d(out)):
                    row["age"] = float(int(age))  # analyze() reports whole years
                continue
            for row, p in zip(rows, np.atleast_2d(out)):
                if action == "gender":
                    scores = {label: float(100 * v) for label, v in zip(GENDER_LABELS, p)}
                    row["gender"] = GENDER_LABELS[int(np.argmax(p))]
                    row["gender_score"] = scores[row["gender"]]
                else:
                    labels = EMOTION_LABELS if action == "emotion" else RACE_LABELS
                    row[action] = labels[int(np.argmax(p))]
                    row[f"{action}_scores"] = {
                        label: float(100 * v / p.sum()) for label, v in zip(labels, p)}
        return [FaceAttributes(**row) for row in rows]


def _preprocess(crop: Image) -> Any:
    """What DeepFace.analyze does to an image with detector_backend="skip", by its own code."""
    from deepface.modules.detection import extract_faces
    from deepface.modules.preprocessing import resize_image

    [face] = extract_faces(img_path=crop, detector_backend="skip", enforce_detection=False,
                           align=True)
    return resize_image(face["face"][:, :, ::-1], target_size=INPUT_WH)
