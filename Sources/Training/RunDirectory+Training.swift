import Checkpointing

extension RunDirectory {
    /// The training settings saved in the checkpoint that `--resume PATH` continues from (its
    /// `latest/` first); nil when they cannot be read (resuming then says what is wrong).
    public static func savedSettings(resume: String) -> TrainingSettings? {
        savedTraining(TrainingSettings.self, resume: resume)
    }
}
