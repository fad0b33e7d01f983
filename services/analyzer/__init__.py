"""Analyzer stage: face crops in, age/gender/emotion/race out. Scale out by running more."""
