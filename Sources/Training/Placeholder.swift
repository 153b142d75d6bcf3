// Placeholder: filled in by the Training work.
