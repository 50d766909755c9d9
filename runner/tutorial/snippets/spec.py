"""One snippet of a seed: the dataclass, and the strings several snippets share."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Snippet:
    """One snippet of a seed: its code as the seed wrote it, what it printed, what it says."""

    key: str  # a stable id, `<seed>-<what>`
    seed: str  # the seed(s) it comes from, e.g. "000" or "001, 000"
    short: str  # the snippet in short, for the table
    code: str  # the seed's code in the dialect (it prints what the seed printed)
    printed: str | None = None  # what the seed printed (None: it shows no output)
    says: str | None = None  # the statement to check (None: only the output is compared)
    # Run after `code`, in its namespace (`error`: the code's error line), setting `holds`
    # (the statement holds) and/or `why` (one line on the mechanism); not the seed's.
    probe: str = ""
    # (as written, as run) replacements for today's API, tried only where the code raises.
    adapt: tuple[tuple[str, str], ...] = ()
    note: str = ""  # how the code departs from the seed, beyond the dialect
    printed_tail: bool = False  # the seed shows only the end of the output (compare the tail)


# The seeds' logits of one image over 10 classes, and how the seeds print them.
LOGITS = ("y_pred_logit = tensor([[-20, -1.0, 4.5, 12.5, 74, 43.2, -58.4, 8.2, 99.9, -101]], "
          "dtype='float32')\n")
LOGITS_SHOWN = "[[ -20. -1. 4.5 12.5 74. 43.2 -58.4 8.2 99.9 -101. ]]"
SOFTMAX_SHOWN = ("[[0.0000000e+00 0.0000000e+00 0.0000000e+00 0.0000000e+00 5.6464078e-12\n"
                 "2.3741193e-25 0.0000000e+00 0.0000000e+00 1.0000000e+00 0.0000000e+00]]")
SIGMOID_SHOWN = ("[[2.0611535e-09 2.6894143e-01 9.8901308e-01 9.9999630e-01 1.0000000e+00\n"
                 "1.0000000e+00 4.3371215e-26 9.9972540e-01 1.0000000e+00 0.0000000e+00]]")
# A probe's helper: whether a loss on an activation's output equals the loss on the logits
# behind it (Keras may attach the logits to the output tensor, and a loss take them).
RECOVERS = (
    "def _recovered(fn, y, out):\n"
    "    on_out = numpy(fn(y, out))\n"
    "    on_logits = numpy(fn(y, y_pred_logit, from_logits=True))\n"
    "    return bool(np.allclose(on_out, on_logits, rtol=1e-5))\n")
# Four inputs of 4 zeros: enough for an untrained model to build its metrics.
TINY_INPUTS = "x = np.zeros((4, 4), 'float32')\n"

