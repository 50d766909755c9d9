"""The seeds' snippets that print or state something about a Keras function and need neither a
download nor a trained model (the rest in `NOT_RUN`), in one dialect every framework runs:
`keras` for `tf.keras`, `tensor(...)` for `tf.constant`, `numpy(x)` for `x.numpy()`."""

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

__all__ = ["BY_KEY", "NOT_RUN", "SNIPPETS", "Snippet"]
