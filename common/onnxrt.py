"""ONNX Runtime session options FAAS uses for every model it runs on ONNX Runtime.

Measured here: with thread spinning on, idle ORT worker threads burn CPU that the other model
processes on the same cores need (DeepFace analyze ~630 ms -> ~490 ms per face with spinning
off). Intra-op threads are set per process, so replicas do not oversubscribe the cores.
"""
from __future__ import annotations

import os
from typing import Any


def default_threads(replicas: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, replicas))


def session_options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def session(path: str, threads: int) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(path, sess_options=session_options(threads),
                                providers=["CPUExecutionProvider"])
