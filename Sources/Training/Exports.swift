// Training's API extends `Checkpoint` (the trainer's documents, `restore`, `save` with the
// optimizer): whoever imports Training to resume or inspect a run gets the type with it.
@_exported import Checkpointing
// The data protocol's token sources and the validation functions are Evaluation's (below
// Training, so that `eval` needs no trainer); Training's API takes them, so they come along.
@_exported import Evaluation
