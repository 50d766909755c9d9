"""Where cheatgrid keeps things on disk (atomic writes, results.jsonl, logits, run directories)."""
