"""`cheatgrid check`: the cheat table applied to a user's own compiled model, before it trains:
`print(check_model(model, y_train))`, or `model.fit(x, y, callbacks=[CheckCallback(labels=y)])`.
"""

from runner.check.checker import CheckCallback, check_flags, check_model
from runner.check.inspect import load_array, load_model_file
from runner.check.report import CheckReport, MetricReport

__all__ = ["CheckCallback", "CheckReport", "MetricReport", "check_flags", "check_model",
           "load_array", "load_model_file"]
