"""Ingest stage: one reader per camera, frames sampled to the camera's fps, JPEG to Redis."""
