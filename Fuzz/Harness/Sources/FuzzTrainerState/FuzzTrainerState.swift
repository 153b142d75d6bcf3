// trainer_state.json: decoded as TrainerProgress directly, and through `Checkpoint.loadWithTrainerState`
// (what `train --resume` and `info` read; `Checkpoint.load` keeps the file as opaque JSON).
import Checkpointing
import Foundation
import FuzzSupport
import Training

@_cdecl("FuzzTrainerState_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        guard let progress = try? JSONDecoder().decode(TrainerProgress.self, from: Data(bytes)) else { return }
        _ = try? JSONEncoder().encode(progress)
        // The whole load (about 10 ms) only for files that decode: a file that does not decode
        // fails the load at the same decoder, and the cheap check keeps the search fast.
        withDamagedCheckpoint(file: "trainer_state.json", bytes) { dir in
            _ = try? Checkpoint.loadWithTrainerState(dir)
        }
    }
}
