"""The tutorial's statements checked against a run: its claims, and what the framework changes."""
