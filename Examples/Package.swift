// swift-tools-version:6.1
// An app that ships a trained charnn model: it depends on charnn's CharNNKit by path (an app
// would name charnn's repository and a version instead) and generates text from a checkpoint.
import PackageDescription

let package = Package(
    name: "charnn-examples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "charnn", path: "..")],
    targets: [
        .executableTarget(name: "generate", dependencies: [.product(name: "CharNNKit", package: "charnn")])
    ]
)
