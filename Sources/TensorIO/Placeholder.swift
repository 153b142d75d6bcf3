// Placeholder: filled in by the TensorIO work.
