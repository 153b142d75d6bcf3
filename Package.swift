// swift-tools-version:6.1
// charnn — character-level recurrent language models in Swift.
import PackageDescription

#if os(Linux)
let blasLink: [LinkerSetting] = [.linkedLibrary("openblas")]
#else
let blasLink: [LinkerSetting] = [.linkedFramework("Accelerate")]
#endif

let package = Package(
    name: "charnn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "charnn", targets: ["charnn"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "Checkpointing", targets: ["Checkpointing"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Comparison", targets: ["Comparison"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Sampling", targets: ["Sampling"]),
        /// The API an app embeds: load a checkpoint, generate, score (docs/embedding.md).
        .library(name: "CharNNKit", targets: ["CharNNKit"]),
        /// The HTTP server, built apart from `charnn` so that `make run` stays fast (docs/serving.md).
        .executable(name: "charnn-serve", targets: ["charnn-serve"]),
    ],
    traits: [
        // `swift build --traits MPI` (make mpi): data-parallel training over MPI. Off by default, so the
        // default build neither needs MPI's headers nor links libmpi (docs/distributed.md).
        .trait(name: "MPI", description: "Data-parallel training over MPI (Open MPI or MPICH, launched by mpirun)")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        // The server only (charnn-serve and its tests): `charnn` itself links none of them.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        // MARK: - Public API

        /// Text → token ids and back: grapheme clusters / scalars / bytes, NFC, vocabulary.
        .target(name: "Tokenization", dependencies: ["CICU", "FileIO", "JSONScan"], exclude: ["README.md"]),
        /// A strict JSON parser over bytes (ordered members, exact integers, offsets, bounded depth) and the
        /// duplicate-key check built on it: the one JSON reader of TensorIO, Tokenization and Checkpointing.
        .target(name: "JSONScan", exclude: ["README.md"]),
        /// The one file layer: whole-file reads under a size limit (a FIFO's wait for a writer announced),
        /// durable writes (temporary file, fsync, rename, folder fsync), appending files, folder creation,
        /// errno and Foundation file errors in words, quoted paths, and the memory budget.
        .target(name: "FileIO", exclude: ["README.md"]),
        /// Float buffers, BLAS GEMM, fused SIMD kernels, a spinning thread team, seeded random numbers.
        .target(
            name: "NeuralCore",
            dependencies: [
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                "CKernels",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            exclude: ["README.md"],
            linkerSettings: blasLink),
        /// The safetensors file format (reader with full validation, writer).
        .target(name: "TensorIO", dependencies: ["FileIO", "JSONScan"], exclude: ["README.md"]),
        /// RNN / LSTM / peephole LSTM / GRU cells, the stacked model, BPTT.
        .target(
            name: "Models",
            dependencies: ["NeuralCore", "CKernels", .product(name: "Atomics", package: "swift-atomics")],
            exclude: ["README.md"]),
        /// Adam, RMSprop, SGD, global-norm gradient clipping, learning-rate schedules: above the layers,
        /// which never know the optimizer (mlx-swift's MLXOptimizers above MLXNN).
        .target(name: "Optimization", dependencies: ["Models", "NeuralCore"], exclude: ["README.md"]),
        /// Reading and writing a checkpoint directory (model, vocabulary, the trainer's documents as opaque
        /// JSON and tensors), with full validation; memory estimates. Below Training and Sampling, so that
        /// sample, repl, eval and inspect load a model without the trainer.
        .target(
            name: "Checkpointing",
            dependencies: ["FileIO", "JSONScan", "Models", "NeuralCore", "Tokenization", "TensorIO"],
            exclude: ["README.md"]),
        /// Scoring a text with a model: one stream, nanoGPT's windows, dynamic evaluation; the token sources.
        .target(
            name: "Evaluation", dependencies: ["Models", "NeuralCore", "Tokenization"], exclude: ["README.md"]),
        /// Data protocol, the training loop, the trainer's part of a checkpoint, the loss plot.
        .target(
            name: "Training",
            dependencies: [
                "Checkpointing", "Communication", "Evaluation", "FileIO", "Models", "NeuralCore",
                "Optimization", "TensorIO", "Tokenization", "Plotting",
            ], exclude: ["README.md"]),
        /// The cell comparison above the trainer: its plan, its runs dealt over ranks, its report and figure.
        .target(
            name: "Comparison",
            dependencies: [
                "Checkpointing", "Communication", "Evaluation", "FileIO", "Models", "NeuralCore", "Optimization",
                "Plotting", "Tokenization", "Training",
            ], exclude: ["README.md"]),
        /// Logit processors (temperature, top-k, top-p), seeded draws, generation.
        .target(
            name: "Sampling", dependencies: ["Models", "NeuralCore", "Tokenization"], exclude: ["README.md"]),
        /// Dependency-free SVG line charts (loss curves).
        .target(name: "Plotting", exclude: ["README.md"]),
        /// The facade an app embeds and the server is built on: a loaded model, generation as an async
        /// stream with continuous batching of concurrent requests, probabilities, scores, traces.
        .target(
            name: "CharNNKit",
            dependencies: [
                "Checkpointing", "Inspection", "Models", "NeuralCore", "Sampling", "Tokenization",
                .product(name: "Atomics", package: "swift-atomics"),
            ], exclude: ["README.md"]),
        /// The HTTP API (OpenAI's completions, health, metrics, score, trace) and the playground page.
        .target(
            name: "Serving",
            dependencies: [
                "CharNNKit", "Inspection", "NeuralCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["README.md"], resources: [.embedInCode("Resources/playground.html")]),
        /// `charnn serve` (the `charnn` executable hands `serve` to this program).
        .executableTarget(
            name: "charnn-serve",
            dependencies: [
                "CharNNKit", "NeuralCore", "Serving",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // To run Swift's tasks on the connections' event loops (`--http-threads`).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        /// Looking inside a model: activations over a text, units ranked by what they track, gate saturation, a page.
        .target(name: "Inspection", dependencies: ["Models", "NeuralCore"], exclude: ["README.md"]),
        /// The communicator seam: rank, size, allreduce, broadcast, gather, barrier; the single-process world.
        .target(name: "Communication", exclude: ["README.md"]),
        /// The MPI communicator and `Communicators.world()`. Compiled always; holds MPI code only with the MPI
        /// trait (its sources are `#if MPI`), so only then does it reach CMPI and libmpi.
        .target(
            name: "MPICommunication",
            dependencies: [
                "Communication",
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
            ], exclude: ["README.md"]),
        /// The multi-rank self-test (`make mpi-test` runs it under `mpirun -np 2` and `-np 3`).
        .executableTarget(name: "charnn-mpi-check", dependencies: ["Communication", "MPICommunication"]),
        /// The command-line tool.
        .executableTarget(
            name: "charnn",
            dependencies: [
                "Tokenization", "NeuralCore", "FileIO", "TensorIO", "Models", "Checkpointing", "Evaluation",
                "Optimization", "Training", "Comparison",
                "Sampling", "Inspection", "CLibEdit", "Communication", "MPICommunication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildCommit"]),

        // MARK: - Implementation details

        /// ICU's NFC normalization behind plain C functions (ICU's entry points are version-renamed macros).
        .target(name: "CICU", linkerSettings: [.linkedLibrary("icuuc", .when(platforms: [.linux]))]),
        /// The kernels: float (row dots, cell steps, softmax, element-wise), 8-bit and half-precision
        /// weights, built for AVX2+FMA+F16C and for baseline x86-64; one level, chosen at run time from
        /// the CPU's features, picks all three.
        .target(name: "CKernels"),
        /// OpenBLAS's CBLAS interface (Linux); Apple platforms use Accelerate instead.
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        /// MPI's C API, with accessors for the handles Swift cannot import (Open MPI's are macros over addresses).
        /// `mpi-c` is Debian's alternative that names Open MPI or MPICH, whichever is installed.
        .systemLibrary(
            name: "CMPI", pkgConfig: "mpi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        /// libedit's readline-compatible API: line editing, history and completion for the REPL (part of macOS).
        .systemLibrary(
            name: "CLibEdit", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]),

        /// Writes the git commit of the checkout into the charnn target before each build (`charnn --version`).
        .plugin(name: "BuildCommit", capability: .buildTool()),

        // MARK: - Unit test bundles

        /// What every test bundle shares: the seeded generator, temporary directories, JSON helpers.
        .target(name: "_TestSupport", path: "Tests/_TestSupport"),
        /// What the training bundles share: the tiny run's settings (TrainingTests, ComparisonTests).
        .target(name: "_TrainingTestSupport", dependencies: ["Training"], path: "Tests/_TrainingTestSupport"),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "_TestSupport"]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "CKernels"]),
        .testTarget(name: "JSONScanTests", dependencies: ["JSONScan"]),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO", "_TestSupport"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "_TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NeuralCore"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "Models", "NeuralCore"]),
        .testTarget(
            name: "CheckpointingTests",
            dependencies: ["Checkpointing", "Models", "TensorIO", "Tokenization", "_TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Models", "NeuralCore", "_TestSupport"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "Checkpointing", "Communication", "Evaluation", "FileIO", "Models", "NeuralCore",
                "Optimization", "TensorIO", "Tokenization", "_TestSupport", "_TrainingTestSupport",
            ]),
        .testTarget(
            name: "ComparisonTests",
            dependencies: [
                "Checkpointing", "Comparison", "Communication", "Evaluation", "Models", "Training", "_TestSupport",
                "_TrainingTestSupport",
            ]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "Models", "NeuralCore", "Tokenization"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "Models", "NeuralCore", "_TestSupport"]),
        .testTarget(name: "CommunicationTests", dependencies: ["Communication", "MPICommunication"]),
        .testTarget(
            name: "CharNNKitTests", dependencies: ["CharNNKit", "Checkpointing", "Inspection", "Sampling"]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "Serving", "CharNNKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        /// Runs the built `charnn` binary end to end.
        .testTarget(name: "CLITests", dependencies: ["_TestSupport"], exclude: ["Snapshots"]),
    ]
)
