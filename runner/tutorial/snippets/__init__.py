"""The seeds' code snippets that print something or state something about a Keras function,
one entry each: the code as the seed wrote it, what the seed printed, what it says.

Every snippet of seeds 000-004 that shows output or makes a checkable statement and
needs neither a download nor a trained model is here (the others are in `NOT_RUN`,
with why not). The code is the seed's, in one dialect that runs on
every framework: `keras` is the framework's Keras module (Keras 3, or tf_keras for
Keras 2) where the seed writes `tf.keras`; `tensor(...)` stands for `tf.constant` /
`tf.convert_to_tensor`, `numpy(x)` for `x.numpy()`. Nothing else is changed unless
`adapt` says so: then the code runs as written first, and where that raises, once
more with the replacements (both outcomes are reported). `probe` runs after the code
in its namespace to judge the statement (it sets `holds`) or to say why the output
is what it is (it sets `why`); it is not the seed's.

`runner.tutorial.snippet_run` executes the catalogue in one framework's process;
`runner.tutorial.snippet_table` compares what it printed with the seed.
"""

from __future__ import annotations

from runner.tutorial.snippets import qa, seeds_000_001
from runner.tutorial.snippets.spec import Snippet

SNIPPETS: tuple[Snippet, ...] = seeds_000_001.SNIPPETS + qa.SNIPPETS
# (seed, the code or statement, why it is not run here): the rest of the seeds.
NOT_RUN: tuple[tuple[str, str, str], ...] = (
    ("000, 001", "`tfds.load(...)` and the sample counts, class names and sample plots it "
     "prints (6000 / 1000, 1027 / 256)", "needs the download; the grid's rows record the "
     "data they used (`n_train`, `n_test`, `data_detail`)"),
    ("000, 001", "`keras.applications.VGG16(weights='imagenet')`", "needs the download of "
     "the weights"),
    ("000, 001", "`model.fit`, `model.evaluate` and the sample predictions they print",
     "needs a trained model: the grid's cells train them, and the claims judge them"),
    ("001", "\"For small values (<-5), sigmoid returns a value close to zero, and for large "
     "values (>5) close to 1\"", "no measure of \"close\" to check; `001-sigmoid` prints "
     "sigmoid at ±1 and ±20"),
    ("002", "the LSTM models, `K.function` and Theano's `T.grad` for input gradients",
     "Theano is not a Keras backend any more, and nothing is printed"),
    ("002", "`KerasClassifier` with `cross_val_score`", "scikit-learn's wrapper, trained "
     "models and data"),
    ("002", "\"binary_crossentropy performing better than categorical_crossentropy\" for a "
     "multi-class task", "a training result: the claims on Part B's one-hot cells judge it"),
    ("002", "a regression model compiled with `metrics=['accuracy']`", "a trained model, "
     "and no output shown"),
    ("003", "\"Sparse Categorical Crossentropy is more efficient ... which would consume huge "
     "amount of RAM if one-hot encoded\"", "a statement about memory use, not about what "
     "a Keras function computes"),
    ("004", "\"need to check if soft classes are supported in other backends, theano and "
     "CNTK\"", "Theano and CNTK are not Keras backends any more; `003-soft-labels` runs on "
     "JAX and PyTorch instead"),
    ("004", "`tf.keras.layers.Dense(units=1)` for a binary classifier", "nothing printed or "
     "stated beyond what `002-sigmoid-bce-vs-softmax-cce` checks"),
)
BY_KEY = {snippet.key: snippet for snippet in SNIPPETS}
assert len(BY_KEY) == len(SNIPPETS), "snippet keys are unique"

__all__ = ["BY_KEY", "NOT_RUN", "SNIPPETS", "Snippet"]
