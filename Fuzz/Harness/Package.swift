// swift-tools-version:6.0
// libFuzzer targets for charnn's decoders. Built and run by
// `make fuzz` (Fuzz/run.sh; this package lives in Fuzz/Harness so that its name never
// equals the repository folder's), never by `make test`: the main package does not know
// this one. run.sh builds it with -sanitize=fuzzer,address and -enable-testing for every module.
import PackageDescription

/// The repository root, two folders up. SwiftPM names a package after its folder, so the
/// main package's identity is that folder's name ("charnn" in a fresh clone).
let rootIdentity = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "charnn").lowercased()

/// Each target defines `<Target>_main` (what SwiftPM's link makes `main`), which hands over to
/// libFuzzer (`LLVMFuzzerRunDriver`, see FuzzSupport); no Swift `main` is generated.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: rootIdentity) },
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])],
                      // gold fails on the address-sanitized objects ("internal error in format_file_lineno").
                      linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}

let package = Package(
    name: "charnn-fuzz",
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        // TensorIO is no product of the main package; Checkpointing brings it into the build.
        fuzzTarget("FuzzSafeTensors", ["Checkpointing"]),
        fuzzTarget("FuzzConfig", ["Models", "Checkpointing", "Training"]),
        fuzzTarget("FuzzVocabulary", ["Tokenization"]),
        fuzzTarget("FuzzTrainerState", ["Checkpointing", "Training"]),
        fuzzTarget("FuzzOptimizerState", ["Models", "Checkpointing", "Optimization", "Training"]),
        fuzzTarget("FuzzCorpus", ["Tokenization"]),
    ]
)
