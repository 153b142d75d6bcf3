// Placeholder: filled in by the Tokenization work.
