// Training's API extends `Checkpoint` (the trainer's documents, `restore`, `save` with the
// optimizer): whoever imports Training to resume or inspect a run gets the type with it.
@_exported import Checkpointing
