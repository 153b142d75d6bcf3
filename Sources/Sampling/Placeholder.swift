// Placeholder: filled in by the Sampling work.
