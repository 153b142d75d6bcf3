// Placeholder: filled in by the Models work.
