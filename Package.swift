// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    // A nonisolated async function runs on its caller's executor (SE-0461) instead of hopping to the
    // generic one: each hop asked the task for its preferred executor under the task's status lock,
    // about 5% of a read's time on the event loop (perf, GetSecretValue at 16 connections). On in every
    // module: swift-driver's incremental builds did not recompile callers in a module whose own
    // settings had not changed when a callee's module switched, and such a caller crashed.
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    // Each function in its own section, so the release link can lay out the code that runs together
    // next to each other (scripts/link-order.txt); without it a file's code moves as one block.
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release)),
]

/// The parsers' modules instrumented for libFuzzer when Fuzz/ builds them (`COFFER_FUZZ=1`): SwiftPM's
/// `--sanitize` reaches the fuzz package's own target only, so without this libFuzzer mutated blindly
/// ("no interesting inputs ... Is the code instrumented for coverage?") and ASan saw none of their memory.
let parserSettings: [SwiftSetting] = Context.environment["COFFER_FUZZ"] == nil
    ? swiftSettings : swiftSettings + [.unsafeFlags(["-sanitize=fuzzer,address"])]

/// The directory of this manifest: the release link reads its layout files from `scripts/`.
let packageDirectory = String(#filePath.dropLast("/Package.swift".count))

let package = Package(
    name: "Coffer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coffer", targets: ["coffer"]),
        // Signed calls, the SDKs' credential and endpoint settings, typed Secrets Manager and Parameter Store calls.
        .library(name: "CofferClient", targets: ["CofferClient"]),
        .library(name: "ConfigurationCoffer", targets: ["ConfigurationCoffer"]),
        // The parsers, for the coverage-guided fuzz targets in Fuzz/ (built apart, with libFuzzer).
        .library(name: "CofferWireParsers", targets: ["CofferCore", "CofferWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The PostgreSQL store, and the built-in PostgreSQL rotations.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // ConfigurationCoffer: Parameter Store and Secrets Manager as swift-configuration providers.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // GET /metrics in Prometheus's text format.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure decisions: models, SigV4, envelope crypto, validation, version-stage moves, the error type.
        .target(
            name: "CofferCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: parserSettings
        ),
        .target(name: "CofferStorage", dependencies: ["CofferCore"], swiftSettings: swiftSettings),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // gzip for `coffer audit export --gzip`, as CloudTrail delivers its log files.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "CofferStorageSQLite",
            dependencies: ["CofferStorage", "CofferCore", "CSQLite", "CZlib"],
            swiftSettings: swiftSettings
        ),
        // The store on PostgreSQL, for several nodes on one database.
        .target(
            name: "CofferStoragePostgres",
            dependencies: [
                "CofferStorage", "CofferCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CofferWire", dependencies: ["CofferCore"], swiftSettings: parserSettings),
        .target(
            name: "CofferServices",
            dependencies: [
                "CofferCore", "CofferStorage", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Signed calls to Coffer or AWS: the seed of the client library.
        .target(
            name: "CofferClient",
            dependencies: [
                "CofferCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The credential scanner: keyword automaton, detectors, sources, reports.
        .target(name: "CofferScan", dependencies: ["CofferCore", "CofferClient", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        .target(
            name: "ConfigurationCoffer",
            dependencies: [
                "CofferClient", .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Seed 003's setup with swift-configuration and the providers above: a few lines.
        .executableTarget(
            name: "seed003-config",
            dependencies: [
                "CofferClient", "ConfigurationCoffer", .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Examples/Seed003Config",
            swiftSettings: swiftSettings
        ),
        // `coffer policy lint` and ValidatePolicy: the IAM dataset, the checks, the evaluator's verdicts.
        .target(name: "CofferLint", dependencies: ["CofferCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        // `coffer posture`: an account read through the public APIs, and the checks on what was read.
        .target(name: "CofferPosture", dependencies: ["CofferCore", "CofferClient", "CofferLint", "CofferScan"], swiftSettings: swiftSettings),
        // Rotation functions: HTTP, command, and the built-ins.
        .target(
            name: "CofferRotators",
            dependencies: [
                "CofferCore", "CofferStorage", "CofferServices", "CofferClient", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CofferServer",
            dependencies: [
                "CofferCore", "CofferStorage", "CofferStorageSQLite", "CofferStoragePostgres", "CofferWire", "CofferServices", "CofferRotators", "CofferLint", "CofferClient",
                "CofferPosture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "coffer",
            dependencies: [
                "CofferServer", "CofferCore", "CofferServices", "CofferStorage", "CofferStorageSQLite", "CofferStoragePostgres", "CofferRotators", "CofferScan", "CofferClient", "CofferLint", "CofferPosture", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            // A release server is a position-dependent executable: with the Swift runtime and Foundation
            // linked in (`--static-swift-stdlib`, as the README builds it) nothing is left to relocate
            // at start. Measured: a restart 36 -> 24 ms, idle memory 34 -> 25 MiB, about 8% less CPU per read.
            //
            // The kernel maps code 64 KiB around each page a process touches. lld lays out first the
            // functions that start and serve run (scripts/link-order.txt, written by scripts/link_order.py;
            // names it no longer finds are skipped) and, before them, the compiler's unnamed helpers
            // (scripts/link-layout.ld), which no symbol can name. Measured: idle memory 24.3 -> 16.1 MiB.
            // The same file then names the data sections (`.data`, `.bss`, ...) a start touches, so that
            // they too sit together: 12.9 -> 12.3 MiB.
            //
            // The C++ runtime and SQLite are linked in from their static archives (scripts/static-libs
            // holds linker scripts that `-lstdc++` and `-lsqlite3` find first): with libstdc++ shared,
            // ~800 relocations against its type-info tables dirtied all of `.data.rel.ro` at every start,
            // and each shared library is resident whole. Measured: idle 16.1 -> 14.4 MiB.
            //
            // `-O0` keeps lld from merging string literals: merged, they are laid out by hash, so the few
            // hundred a start reads (configuration keys, SQL, metadata names) sat in ~43 windows of 64 KiB
            // across 43 MB of `.rodata`; unmerged, each module's stay together. Measured (session 33): idle
            // 12.88 -> 12.51 MiB from disk, 14.2 -> 13.56 freshly written; the binary's sections grow 200 KB.
            linkerSettings: [.unsafeFlags([
                "-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic", "-use-ld=lld", "-L", "\(packageDirectory)/scripts/static-libs",
                "-Xlinker", "--symbol-ordering-file=\(packageDirectory)/scripts/link-order.txt", "-Xlinker", "--no-warn-symbol-ordering",
                "-Xlinker", "-T", "-Xlinker", "\(packageDirectory)/scripts/link-layout.ld", "-Xlinker", "-O0",
            ], .when(platforms: [.linux], configuration: .release))]
        ),
        .testTarget(name: "CofferCoreTests", dependencies: ["CofferCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferScanTests", dependencies: ["CofferScan"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferLintTests", dependencies: ["CofferLint", "CofferCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferPostureTests", dependencies: ["CofferPosture"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CofferClientTests",
            dependencies: [
                "CofferClient", "CofferCore", "ConfigurationCoffer", .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ConfigurationTesting", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CofferStorageTests",
            dependencies: ["CofferStorage", "CofferStorageSQLite", "CofferStoragePostgres", "CofferCore",
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CofferWireTests", dependencies: ["CofferWire", "CofferCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CofferServicesTests",
            dependencies: ["CofferServices", "CofferStorage", "CofferCore"],
            swiftSettings: swiftSettings
        ),
    ]
)
