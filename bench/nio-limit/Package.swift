// swift-tools-version: 6.0
// The machine's HTTP limit for bench/bench.py: a bare SwiftNIO server answering every request with a
// fixed GetSecretValue-shaped JSON body, no signature check, no storage. Built apart from Coffer.
import PackageDescription

let package = Package(
    name: "nio-limit",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .executableTarget(
            name: "nio-limit",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")])
    ]
)
