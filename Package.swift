// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-bench", targets: ["vigil-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "CSAF"),
        .target(name: "Telemetry"),
        .target(name: "OpenPGP", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "Sources", dependencies: [
            "CSAF", "OpenPGP", "Telemetry", "Storage",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "Versions"),
        .target(name: "Matching", dependencies: ["CSAF", "Versions"]),
        // What changed between two revisions of an advisory, and which advisories of other publishers describe the
        // same vulnerabilities. Pure.
        .target(name: "Revisions", dependencies: ["CSAF", "Versions", "Matching"]),
        // What the rest of Vigil needs of storage: the store protocols, their records and `StoreError`. `Sources`,
        // `Alerts` and `Web` depend on this; only `Store` (and the CLI that opens one) sees GRDB and PostgresNIO.
        .target(name: "Storage", dependencies: ["CSAF", "Matching", "Revisions"]),
        // Reports for auditors and pictures for people: compliance reports (CSV, HTML, PDF written by Vigil itself),
        // SVG charts, and the order to patch in. Pure: the caller reads the store and passes the time.
        .target(name: "Reports", dependencies: ["CSAF", "Matching", "Storage"]),
        .target(name: "Store", dependencies: [
            "CSAF", "Versions", "Matching", "Storage",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Alerts", dependencies: [
            "CSAF", "Matching", "Storage", "Telemetry", "Revisions", "Reports",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Web", dependencies: [
            "CSAF", "Storage", "Matching", "Alerts", "Telemetry", "Revisions", "Reports",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], resources: [.copy("Resources")]),
        .executableTarget(name: "vigil", dependencies: [
            "CSAF", "OpenPGP", "Sources", "Storage", "Store", "Web", "Versions", "Matching", "Alerts", "Telemetry", "Revisions", "Reports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The benchmarks (`swift run -c release vigil-bench …`): kept out of `vigil`, which holds only what users run.
        // They share the test fixtures (the SMTP peer, the provider mirror, the hostile servers) through VigilTestSupport.
        .executableTarget(name: "vigil-bench", dependencies: [
            "CSAF", "OpenPGP", "Sources", "Storage", "Store", "Web", "Versions", "Matching", "Alerts", "Telemetry", "Revisions", "Reports", "VigilTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            // `vigil-bench corpus` signs the documents it makes with a throwaway RSA key; `vigil-bench scale` requests
            // pages of a running `vigil serve`.
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Test helpers shared by every test target: the ../shared data locator, temporary folders, processes.
        // Also the benchmarks' fixtures (vigil-bench): the SMTP peer, the provider mirror, the hostile servers.
        .target(name: "VigilTestSupport", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Tests/VigilTestSupport"),
        .testTarget(name: "CSAFTests", dependencies: ["CSAF", "VigilTestSupport"]),
        .testTarget(name: "RevisionsTests", dependencies: ["Revisions", "CSAF", "Versions", "Matching", "Storage", "VigilTestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Storage", "Store", "Sources", "CSAF", "Matching", "VigilTestSupport"]),
        .testTarget(name: "VersionsTests", dependencies: ["Versions", "VigilTestSupport"]),
        .testTarget(name: "SupportTests", dependencies: ["VigilTestSupport"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "VigilTestSupport"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Versions", "CSAF", "VigilTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "AlertsTests", dependencies: [
            "Alerts", "Storage", "Store", "Sources", "CSAF", "Matching", "Telemetry", "VigilTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "OpenPGPTests", dependencies: [
            "OpenPGP", "VigilTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "SourcesTests", dependencies: ["Sources", "Storage", "CSAF", "OpenPGP", "VigilTestSupport"]),
        .testTarget(name: "StoreTests", dependencies: [
            "Storage", "Store", "CSAF", "Sources", "OpenPGP", "VigilTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SyncTests", dependencies: [
            "Sources", "Storage", "Store", "CSAF", "OpenPGP", "Web", "VigilTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "WebTests", dependencies: [
            "Web", "Storage", "Store", "CSAF", "Sources", "Matching", "Alerts", "Reports", "VigilTestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
