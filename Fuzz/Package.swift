// swift-tools-version: 6.1
// Coverage-guided fuzz targets for Coffer's parsers, built apart from Coffer with libFuzzer:
//   cd Fuzz && COFFER_FUZZ=1 swift build -c release --sanitize fuzzer --sanitize address
//   ./run.sh   (or RUNS=20000 TARGETS=sigv4 ./run.sh; FUZZ_TARGET picks the parser)
import PackageDescription

let package = Package(
    name: "CofferFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Coffer", path: "..")],
    targets: [
        .executableTarget(
            name: "coffer-fuzz",
            dependencies: [.product(name: "CofferWireParsers", package: "Coffer")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
