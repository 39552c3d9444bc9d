// swift-tools-version: 6.1
// Coverage-guided fuzz targets for Coffer's parsers, built apart from Coffer with libFuzzer:
//   cd Fuzz && swift build -c release --sanitize fuzzer --sanitize address
//   FUZZ_TARGET=sigv4 .build/release/coffer-fuzz Corpus/sigv4 -runs=10000000
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
