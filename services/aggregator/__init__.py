"""Aggregator stage: attributes in, rolling-window counts in sorted sets, served over HTTP."""
