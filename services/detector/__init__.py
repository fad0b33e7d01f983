"""Detector stage: frames in, one entry per aligned face crop out."""
