"""Where cheatgrid keeps things on disk: atomic writes, results.jsonl, logits, run directories.

The bottom of the pipeline's storage: it knows files, not grids.
"""
