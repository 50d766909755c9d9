"""Executing a grid: its units, the local worker and supervisor, Ray, and the run itself."""
