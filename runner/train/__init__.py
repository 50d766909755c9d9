"""Training heads: the reference path, the fused fast path, end-to-end; backends, devices,
and what a head's outputs mean."""
