// swift-tools-version:6.0
// charnn — character-level recurrent language models in Swift.
import PackageDescription

#if os(Linux)
let blasLink: [LinkerSetting] = [.linkedLibrary("openblas")]
#else
let blasLink: [LinkerSetting] = [.linkedFramework("Accelerate")]
#endif

let package = Package(
    name: "charnn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "charnn", targets: ["charnn"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Sampling", targets: ["Sampling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        // MARK: - Public API

        /// Text → token ids and back: grapheme clusters / scalars / bytes, NFC, vocabulary.
        .target(name: "Tokenization", dependencies: ["CICU"]),
        /// Float buffers, BLAS GEMM, fused SIMD kernels, a spinning thread team, seeded random numbers.
        .target(name: "NeuralCore", dependencies: [
                    .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                    "CHalf",
                    .product(name: "Atomics", package: "swift-atomics"),
                ],
                linkerSettings: blasLink),
        /// The safetensors file format (reader with full validation, writer).
        .target(name: "TensorIO"),
        /// RNN / LSTM / peephole LSTM / GRU cells, the stacked model, BPTT, optimizers.
        .target(name: "Models", dependencies: ["NeuralCore"]),
        /// Data protocol, the training loop, checkpoints, comparison of cells.
        .target(name: "Training", dependencies: ["Models", "NeuralCore", "TensorIO", "Tokenization", "Plotting"]),
        /// Logit processors (temperature, top-k, top-p), seeded draws, generation.
        .target(name: "Sampling", dependencies: ["Models", "NeuralCore", "Tokenization"]),
        /// Dependency-free SVG line charts (loss curves).
        .target(name: "Plotting"),
        /// Looking inside a model: activations over a text, units ranked by what they track, gate saturation, a page.
        .target(name: "Inspection", dependencies: ["Models", "NeuralCore"]),
        /// The command-line tool.
        .executableTarget(name: "charnn", dependencies: [
            "Tokenization", "NeuralCore", "TensorIO", "Models", "Training", "Sampling", "Inspection", "CLibEdit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Implementation details

        /// ICU's NFC normalization behind plain C functions (ICU's entry points are version-renamed macros).
        .target(name: "CICU", linkerSettings: [.linkedLibrary("icuuc", .when(platforms: [.linux]))]),
        /// Half-precision weights: conversion and the F16C matrix–vector kernel (portable C fallback).
        .target(name: "CHalf"),
        /// OpenBLAS's CBLAS interface (Linux); Apple platforms use Accelerate instead.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        /// libedit's readline-compatible API: line editing, history and completion for the REPL (part of macOS).
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),

        // MARK: - Unit test bundles

        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"]),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "CHalf"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NeuralCore"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "NeuralCore", "TensorIO", "Tokenization"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "Models", "NeuralCore", "Tokenization"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "Models", "NeuralCore"]),
        /// Runs the built `charnn` binary end to end.
        .testTarget(name: "CLITests", dependencies: [], exclude: ["Snapshots"]),
    ]
)
