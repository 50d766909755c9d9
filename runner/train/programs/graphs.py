"""A traced TensorFlow function's computation as one digest: equal digests, equal results.

Two heads whose training functions digest alike compute the same numbers from the same
inputs, op for op: Keras makes that happen when it reads the logits behind a sigmoid or
softmax output, so that, say, a sigmoid head with `from_logits=False` trains exactly as a
linear head with `from_logits=True`. Such heads are trained once (see `fused`).
"""

from __future__ import annotations

import hashlib
from typing import Any


def fingerprint(graph: Any) -> str:
    """A digest of everything a graph's outputs depend on.

    Each op is hashed from its type, its attributes and the digests of its inputs and,
    in any order, of the ops it waits for (a Merkle hash), so node names, and ops that
    feed no output (a sigmoid whose output the loss does not read), do not count. The
    graph's inputs count by position.
    """
    positions = {t.name: f"input{i}" for i, t in enumerate(graph.inputs)}
    memo: dict[str, str] = {}

    def tensor(t) -> str:
        return positions.get(t.name) or f"{op(t.op)}:{t.value_index}"

    def op(o) -> str:
        if o.name not in memo:
            attributes = sorted((k, v.SerializeToString(deterministic=True))
                                for k, v in o.node_def.attr.items() if not k.startswith("_"))
            parts = [o.type, repr(attributes), *(tensor(t) for t in o.inputs),
                     *sorted("^" + op(c) for c in o.control_inputs)]  # an unordered set
            memo[o.name] = hashlib.sha256("|".join(parts).encode()).hexdigest()
        return memo[o.name]

    return hashlib.sha256("|".join(tensor(t) for t in graph.outputs).encode()).hexdigest()
