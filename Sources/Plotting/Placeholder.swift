// Placeholder: filled in by the Plotting work.
