"""The command line: `cheatgrid grid | cell | table | compare`."""
