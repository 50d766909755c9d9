"""cheatgrid: which label encoding x activation x loss x metric works, measured cell by cell."""

__version__ = "0.1.0"
