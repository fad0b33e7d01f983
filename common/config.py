"""FAAS configuration: one pydantic model per section, loaded from YAML with `file:line` errors.

Every model forbids unknown keys, so a typo is an error rather than a silently ignored
setting. Durations are seconds, written as numbers or with a unit (`500ms`, `5s`, `1m`, `1h`).
"""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from common.secrets import redact_url
from common.yamlsource import ConfigError, load_yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
Action = Literal["age", "gender", "emotion", "race"]
ACTIONS: tuple[Action, ...] = ("age", "gender", "emotion", "race")


def parse_duration(value: Any) -> Any:
    """`"5m"` -> 300.0; numbers pass through as seconds; anything else is left to pydantic."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected a duration such as 500ms, 5s, 1m or 1h, got {value!r}")
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


Seconds = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


class FaasModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedisSettings(FaasModel):
    url: str | None = Field(
        default=None,
        description="redis://host:port/db of a Redis 5.0+ server; empty: FAAS.py starts one",
    )
    data_dir: Path = Field(default=Path(".faas/redis"), description="embedded server's data (AOF)")

    def __repr__(self) -> str:
        return f"RedisSettings(url={redact_url(self.url) if self.url else None!r})"


class CameraConfig(FaasModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="used in keys and metric labels")
    url: str | None = Field(
        default=None, repr=False,
        description="file path, rtsp:// or http(s):// URL (MJPEG, HLS); ${VAR} for secrets",
    )
    device: int | None = Field(default=None, ge=0, description="local webcam index, instead of url")
    transport: Literal["tcp", "udp"] = Field(default="tcp", description="RTSP transport")
    fps: float = Field(default=2.0, gt=0, le=60, description="frames per second sent downstream")
    enabled: bool = True
    loop: bool = Field(default=False, description="file cameras: start again at the end")
    speed: float = Field(
        default=1.0, gt=0, le=100, description="file cameras: playback speed, 1.0 = real time"
    )
    actions: tuple[Action, ...] | None = Field(
        default=None, min_length=1, description="default: everything the analyzer produces"
    )

    @model_validator(mode="after")
    def _one_source(self) -> CameraConfig:
        if (self.url is None) == (self.device is None):
            raise ValueError("give exactly one of url or device")
        return self

    @property
    def safe_url(self) -> str:
        return redact_url(self.url) if self.url is not None else f"device:{self.device}"

    @property
    def is_file(self) -> bool:
        return self.url is not None and "://" not in self.url

    @property
    def secrets(self) -> list[str]:
        """Strings that must never be shown: the URL itself and its password."""
        if self.url is None:
            return []
        try:
            password = urlsplit(self.url).password
        except ValueError:
            password = None
        return [s for s in (self.url, password) if s]


class BackendChoice(BaseModel):
    """`type` names a backend file; the other keys are that backend's own `Options`."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class WorkerSettings(FaasModel):
    batch_size: int = Field(default=8, ge=1, le=256, description="entries read per XREADGROUP")
    block: Seconds = Field(default=1.0, le=1.0, description="XREADGROUP BLOCK, at most 1 s")
    claim_idle: Seconds = Field(default=30.0, gt=0, description="reclaim entries idle this long")
    max_deliveries: int = Field(default=3, ge=1, description="then the entry goes to faas:dlq")
    heartbeat_ttl: Seconds = Field(default=10.0, gt=0, description="liveness key TTL")
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0: launcher assigns")


class BackendStage(WorkerSettings):
    backend: BackendChoice
    backend_registry: ClassVar[str]  # module holding the stage's backend registry

    @model_validator(mode="after")
    def _check_backend(self) -> BackendStage:
        # Imported here, not at the top: backend modules live with their stage, and a stage's
        # registry imports no model framework, so this stays cheap.
        importlib.import_module(self.backend_registry).REGISTRY.validate(self.backend)
        return self


class IngestSettings(FaasModel):
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    max_width: int | None = Field(default=None, ge=64, description="resize wider frames")
    frames_maxlen: int | None = Field(
        default=None, ge=2,
        description="frame stream bound; default: fps x detector.max_frame_age x 3/4 frames",
    )
    open_timeout: Seconds = Field(default=10.0, gt=0)
    read_timeout: Seconds = Field(default=5.0, gt=0)
    freeze_after: Seconds = Field(
        default=30.0, gt=0, description="no new frame, or the same image, this long: stalled"
    )
    reconnect_initial: Seconds = Field(default=1.0, gt=0)
    reconnect_max: Seconds = Field(default=30.0, gt=0)
    max_reconnects: int = Field(default=0, ge=0, description="then give up; 0: retry forever")
    metrics_port: int = Field(default=0, ge=0, le=65535)


class DetectorSettings(BackendStage):
    backend_registry = "services.detector.backends"
    backend: BackendChoice = BackendChoice(type="retinaface")
    batch_size: int = Field(default=4, ge=1, le=256)
    max_frame_age: Seconds = Field(default=5.0, gt=0, description="older frames are dropped")
    min_face_size: int = Field(default=20, ge=1, description="pixels, shorter box side")
    faces_maxlen: int = Field(default=100_000, ge=100)


class AnalyzerSettings(BackendStage):
    backend_registry = "services.analyzer.backends"
    backend: BackendChoice = BackendChoice(type="deepface")
    replicas: int = Field(default=1, ge=1, le=64, description="analyzer processes FAAS.py starts")
    threads: int | None = Field(
        default=None, ge=1, le=64,
        description="ONNX Runtime intra-op threads per analyzer; default: cores / replicas",
    )
    attributes_maxlen: int = Field(default=100_000, ge=100)


class AggregatorSettings(WorkerSettings):
    batch_size: int = Field(default=64, ge=1, le=1000)
    windows: tuple[Seconds, ...] = Field(default=(60.0, 300.0, 900.0, 3600.0), min_length=1)
    retention: Seconds = Field(default=86400.0, gt=0, description="older counts are trimmed")
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    min_sample: int = Field(
        default=20, ge=1, description="the dashboard greys a share computed from fewer faces"
    )

    @model_validator(mode="after")
    def _retention_covers_windows(self) -> AggregatorSettings:
        if self.retention < max(self.windows):
            raise ValueError(f"retention ({self.retention:g}s) is shorter than the longest window")
        return self


class MetricsSettings(FaasModel):
    enabled: bool = True
    host: str = "0.0.0.0"
    base_port: int = Field(
        default=9400,
        ge=1,
        le=65000,
        description="ingest +0, detector +1, aggregator +2, analyzer replicas +3...",
    )


class LauncherSettings(FaasModel):
    pid_file: Path = Field(default=Path(".faas/faas.pid"), description="for `FAAS.py reload`")
    drain_timeout: Seconds = Field(default=15.0, description="on stop, wait this long for lag 0")
    stop_timeout: Seconds = Field(default=10.0, gt=0, description="SIGTERM, then kill after this")
    status_interval: Seconds = Field(default=5.0, gt=0)
    max_restart_delay: Seconds = Field(default=60.0, gt=0, description="restart backoff cap")


class FaasConfig(FaasModel):
    redis: RedisSettings = Field(default_factory=RedisSettings)
    engine: Literal["onnx", "tensorflow", "pytorch"] = "onnx"
    weights_dir: Path | None = Field(default=None, description="DEEPFACE_HOME for model weights")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cameras: tuple[CameraConfig, ...] = ()
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    analyzer: AnalyzerSettings = Field(default_factory=AnalyzerSettings)
    aggregator: AggregatorSettings = Field(default_factory=AggregatorSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    launcher: LauncherSettings = Field(default_factory=LauncherSettings)

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} is used twice")
            seen.add(camera.id)
        return cameras

    @property
    def enabled_cameras(self) -> tuple[CameraConfig, ...]:
        return tuple(camera for camera in self.cameras if camera.enabled)

    def metrics_port(self, stage: str, replica: int = 0) -> int:
        """A stage's own `metrics_port`, else base_port + its offset (analyzers: one per replica)."""
        own = getattr(self, stage).metrics_port
        if own:
            return int(own) + (replica if stage == "analyzer" else 0)
        offset = {"ingest": 0, "detector": 1, "aggregator": 2, "analyzer": 3 + replica}[stage]
        return self.metrics.base_port + offset

    def frames_maxlen(self, camera: CameraConfig) -> int:
        """Frames kept per camera: three quarters of max_frame_age's worth, so a detector that
        comes back finds frames young enough to use, with time to spare to read them, instead
        of a backlog it would only drop."""
        if self.ingest.frames_maxlen is not None:
            return self.ingest.frames_maxlen
        return max(2, int(camera.fps * self.detector.max_frame_age * 0.75))

    def camera(self, camera_id: str) -> CameraConfig | None:
        return next((c for c in self.cameras if c.id == camera_id), None)


def _relative_to(base: Path, data: dict[str, Any]) -> None:
    """Inputs the config names (camera files, weights_dir) are relative to the config file, so
    `python FAAS.py --config elsewhere/faas.yaml` finds them from any directory."""
    for camera in data.get("cameras") or []:
        url = camera.get("url") if isinstance(camera, dict) else None
        if isinstance(url, str) and "://" not in url and not Path(url).is_absolute():
            camera["url"] = os.path.normpath(base / url)
    weights = data.get("weights_dir")
    if isinstance(weights, str) and not Path(weights).expanduser().is_absolute():
        data["weights_dir"] = os.path.normpath(base / weights)


def load_config(path: str | Path) -> FaasConfig:
    """Load and validate; raise ConfigError whose lines read `file:line: field: message`."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError([f"{doc.path}:1: the config must be a mapping of sections"])
    _relative_to(doc.path.resolve().parent, doc.data)
    try:
        return FaasConfig.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [part for part in error["loc"] if not isinstance(part, str) or "[" not in part]
            unknown = error["type"] == "extra_forbidden"
            line = doc.line_of(loc, at_key=unknown)
            field = ".".join(str(part) for part in loc) or "(top)"
            message = "unknown key" if unknown else error["msg"].removeprefix("Value error, ")
            problems.append(f"{doc.path}:{line}: {field}: {message}")
        raise ConfigError(problems) from None
