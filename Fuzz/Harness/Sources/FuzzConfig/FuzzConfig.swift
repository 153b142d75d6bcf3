// config.json: decoded as ModelConfig directly, and as the config.json of a
// checkpoint that `Checkpoint.loadWithTrainerState` opens (the model's fields as every command reads
// them, the training section as `train --resume` and `info` do).
import Checkpointing
import Foundation
import FuzzSupport
import Models
import Training

@_cdecl("FuzzConfig_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        if let config = try? JSONDecoder().decode(ModelConfig.self, from: Data(bytes)), (try? config.validate()) != nil {
            _ = config.parameterCount   // a validated config has a parameter count
        }
        withDamagedCheckpoint(file: "config.json", bytes) { dir in
            _ = try? Checkpoint.loadWithTrainerState(dir)
        }
    }
}
