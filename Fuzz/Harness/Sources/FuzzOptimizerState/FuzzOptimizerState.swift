// optimizer.safetensors: loaded with its checkpoint, then restored into an
// optimizer of each kind and the recurrent state, as `charnn train --resume` does.
import Checkpointing
import FuzzSupport
import Models
import Optimization
import Training

@_cdecl("FuzzOptimizerState_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        withDamagedCheckpoint(file: "optimizer.safetensors", bytes) { dir in
            guard let checkpoint = try? Checkpoint.load(dir) else { return }
            for kind in OptimizerKind.allCases {
                let optimizer = Optimizer(settings: OptimizerSettings(kind: kind), parameters: checkpoint.model.parameters)
                let state = ModelState(config: checkpoint.config, batch: 2)
                _ = try? checkpoint.restore(optimizer: optimizer, state: state)
            }
        }
    }
}
