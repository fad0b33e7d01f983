"""Analyzer backend: DeepFace's age, gender, emotion and race models on aligned crops.

Crops come aligned from the detector, so DeepFace runs with `detector_backend="skip"`. Models
are built once at start (DeepFace caches them per process), only for the actions the
configured cameras ask for. Labels and scores are DeepFace's own.
"""
from __future__ import annotations

from typing import Any, Sequence

from common.config import ACTIONS, FaasConfig, FaasModel
from common.imaging import Image
from services.analyzer.backends import FaceAttributes

MODEL_NAMES = {"age": "Age", "gender": "Gender", "emotion": "Emotion", "race": "Race"}
_FILES = {
    "age": "age_model_weights",
    "gender": "gender_model_weights",
    "emotion": "facial_expression_model_weights",
    "race": "race_model_single_batch",
}
_SUFFIX = {"onnx": ".onnx", "tensorflow": ".h5", "pytorch": ".pth"}


class Options(FaasModel):
    pass


def needed_actions(config: FaasConfig) -> tuple[str, ...]:
    cameras = config.enabled_cameras
    wanted = {action for camera in cameras for action in camera.actions} if cameras else set(ACTIONS)
    return tuple(action for action in ACTIONS if action in wanted)


def weight_files(options: Options, config: FaasConfig) -> list[str]:
    return [_FILES[action] + _SUFFIX[config.engine] for action in needed_actions(config)]


class Backend:
    name = "deepface"
    produces = frozenset(ACTIONS)

    def __init__(self, options: Options, config: FaasConfig) -> None:
        from deepface import DeepFace

        self._deepface = DeepFace
        for action in needed_actions(config):
            DeepFace.build_model(task="facial_attribute", model_name=MODEL_NAMES[action])

    def analyze(self, crops: list[Image], actions: Sequence[str]) -> list[FaceAttributes]:
        return [self._one(crop, actions) for crop in crops]

    def _one(self, crop: Image, actions: Sequence[str]) -> FaceAttributes:
        found: dict[str, Any] = self._deepface.analyze(
            img_path=crop, actions=list(actions), detector_backend="skip",
            enforce_detection=False, silent=True,
        )[0]
        result: dict[str, Any] = {}
        if "age" in found:
            result["age"] = float(found["age"])
        if "dominant_gender" in found:
            result["gender"] = str(found["dominant_gender"])
            result["gender_score"] = float(found["gender"][found["dominant_gender"]])
        if "dominant_emotion" in found:
            result["emotion"] = str(found["dominant_emotion"])
            result["emotion_scores"] = {k: float(v) for k, v in found["emotion"].items()}
        if "dominant_race" in found:
            result["race"] = str(found["dominant_race"])
            result["race_scores"] = {k: float(v) for k, v in found["race"].items()}
        return FaceAttributes(**result)
