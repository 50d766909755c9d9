"""Data: where each dataset comes from, loading it as arrays, labels and tf.data pipelines."""
