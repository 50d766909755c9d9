"""`--executor ray`: the run's units as Ray tasks, the driver the one writer of results."""
