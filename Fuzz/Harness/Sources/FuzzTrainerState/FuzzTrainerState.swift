// trainer_state.json: decoded as TrainerProgress directly, and through `Checkpoint.load`.
import Foundation
import FuzzSupport
import Training

@_cdecl("FuzzTrainerState_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc: argc, argv: argv) { bytes in
        if let progress = try? JSONDecoder().decode(TrainerProgress.self, from: Data(bytes)) {
            _ = try? JSONEncoder().encode(progress)
        }
        withDamagedCheckpoint(file: "trainer_state.json", bytes) { dir in
            _ = try? Checkpoint.load(dir)
        }
    }
}
