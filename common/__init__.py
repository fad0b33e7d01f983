"""What every FAAS stage shares: config, Redis, messages, the worker loop, metrics, imaging."""
