"""Run the seeds' snippets in this process's framework (`run_all`); as a script (one process
per framework, `snippet_table`), print the results as one JSON object on stdout's last line."""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import re
import sys
import warnings
from typing import Any

import numpy as np

from runner.train import backends
from runner.tutorial.snippets import SNIPPETS, Snippet

ERROR_CHARS = 240  # an error's line is cut here: one line in a table cell


def error_line(error: BaseException) -> str:
    """`Type: the first informative line of the message`, without TensorFlow's
    `{{function_node ...}}` prefix and op suffix, at most `ERROR_CHARS` characters."""
    text = re.sub(r"^\{\{[^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$", "", str(error).strip(), flags=re.S)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return line if len(line) <= ERROR_CHARS else line[:ERROR_CHARS - 1] + "…"


def _namespace(keras: Any) -> dict[str, Any]:
    """The names a snippet sees: `keras`, `np`, `tensor` (the seed's `tf.constant`: Python
    floats become float32 and ints int32, as TensorFlow makes them), `numpy`, `error_line`,
    `metric_names` (the metrics a compiled model built) and, on demand, `tf`."""
    from runner.train.judge import resolved_metric_name

    def tensor(value: Any, dtype: str | None = None) -> Any:
        array = np.asarray(value)
        dtype = dtype or {"f": "float32", "i": "int32", "u": "int32"}.get(array.dtype.kind)
        if backends.current() == "tf_keras":
            return importlib.import_module("tensorflow").constant(array, dtype=dtype)
        return keras.ops.convert_to_tensor(array.astype(dtype) if dtype else array)

    return {"keras": keras, "np": np, "tensor": tensor, "error_line": error_line,
            "numpy": lambda x: np.asarray(backends.to_numpy(x)),
            "metric_names": lambda model: [resolved_metric_name(m)
                                           for m in backends.compiled_metrics(model)]}


def _execute(code: str, names: dict[str, Any], label: str) -> tuple[str, str | None, list]:
    """Run code in `names`: what it printed, its error line (or None), its warnings."""
    if "tf." in code and "tf" not in names:
        names["tf"] = importlib.import_module("tensorflow")
    out, error = io.StringIO(), None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            exec(compile(code, label, "exec"), names)  # the catalogue's code, nothing else
        except Exception as e:  # the error is the result
            error = error_line(e)
    shown = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    return out.getvalue(), error, shown


def run_snippet(snippet: Snippet, keras: Any) -> dict[str, Any]:
    """One snippet in this process: its code as written, adapted where that raises, then its
    probe (`literal_error`: the error as written, where adapted)."""
    names = _namespace(keras)
    output, error, shown = _execute(snippet.code, names, f"<snippet {snippet.key}>")
    literal_error = None
    if error is not None and snippet.adapt:
        literal_error, names = error, _namespace(keras)
        code = functools.reduce(lambda text, pair: text.replace(*pair), snippet.adapt, snippet.code)
        output, error, shown = _execute(code, names, f"<snippet {snippet.key}, adapted>")
    holds = why = None
    if snippet.probe:
        names.update(error=error)
        _, probe_error, _ = _execute(snippet.probe, names, f"<probe {snippet.key}>")
        if probe_error is None:
            holds, why = names.get("holds"), names.get("why")
        else:
            why = f"the probe raised {probe_error}"
    return {"key": snippet.key, "output": output, "error": error,
            "literal_error": literal_error, "warnings": shown,
            "holds": None if holds is None else bool(holds),
            "why": None if why is None else str(why)}


def run_all(snippets: tuple[Snippet, ...] = SNIPPETS) -> dict[str, Any]:
    """Every snippet in this process's framework, with its versions."""
    keras = backends.keras()
    return {"framework": backends.current(), "keras_version": keras.__version__,
            "backend": backends.backend(),
            "tf_version": getattr(sys.modules.get("tensorflow"), "__version__", None),
            "results": [run_snippet(snippet, keras) for snippet in snippets]}


def main() -> int:
    """Print `run_all()` as one JSON line (after anything the snippets' frameworks print)."""
    backends.import_tensorflow(verbose=False)
    sys.stdout.write("\n" + json.dumps(run_all()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
