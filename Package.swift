// swift-tools-version:6.2
import PackageDescription

// Module layout (dependencies flow one way: C at the bottom, the executables on top):
//   CCurl, COpenBLAS  system libraries with typed shims (OpenBLAS: the sgemm reference of `bench sgemm`)
//   WordPiece         BERT tokenizer, identical to Hugging Face's (Foundation only)
//   CKernels          the encoder's kernels in C: packed dense layers, attention, GELU, LayerNorm
//                     (vectorised for AVX-512/AVX2/x86-64, picked at load by target_clones)
//   Transformer       safetensors, BERT encoder, classification heads, explanations
//   Feeds             feed documents to normalised items: safe XML, RSS/Atom/JSON Feed/social JSON
//   CurlHTTP          concurrent HTTP over libcurl's multi interface (feeds now, webhooks later)
//   Store             all SQL: typed records and states, named operations (protocols), the SQLite backend (GRDB), the PostgreSQL
//                     backend (PostgresNIO), migrations, leases between instances, retention
//   Config            configuration decode/validate, durations, JSON text, the injected time source
//   Alerts            entity metrics, the pure alert state machine, payloads, one evaluation pass
//   Stories           story clustering: headline keys, similarity, the online window index, clustering scores
//   Reports           the risk report (monitorctl query, /v1/risk, the dashboard)
//   API               the HTTP API (Hummingbird): /healthz, /metrics, /v1/*, the dashboard; the counters it reports
//   Monitor           the services and their wiring: poller, scorer, alert service, sender, retention
//   monitord          the daemon (thin @main)
//   monitorctl        the operator's CLI (thin @main + subcommands)
//   FuzzTargets       one libFuzzer target per parser of untrusted bytes; finsent-fuzz runs them (scripts/fuzz.sh)
// The tokenizer and the encoder are optimised in debug builds too: unoptimised they are
// tens of times slower, which would make `swift test` crawl.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "FinSentMonitor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "monitord", targets: ["monitord"]),
        .executable(name: "monitorctl", targets: ["monitorctl"]),
        .executable(name: "finsent-fuzz", targets: ["finsent-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "WordPiece", swiftSettings: hotPath),
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast"])]
        ),
        .target(name: "Transformer", dependencies: ["WordPiece", "CKernels"], swiftSettings: hotPath),
        .target(name: "Feeds", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "CurlHTTP", dependencies: ["CCurl"]),
        .target(
            name: "Store",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Config",
            dependencies: ["Feeds", "Store", "Stories", "Transformer", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Alerts",
            dependencies: ["Config", "Feeds", "Store", "Stories"]
        ),
        .target(name: "Stories", swiftSettings: hotPath),
        .target(name: "Reports", dependencies: ["Alerts", "Config", "Store"]),
        .target(
            name: "API",
            dependencies: [
                "Config", "Reports", "Store", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Monitor",
            dependencies: [
                "Config", "Alerts", "Reports", "API", "Store", "Stories", "WordPiece", "Transformer", "Feeds", "CurlHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "monitord",
            dependencies: [
                "Monitor", "Config",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "monitorctl",
            dependencies: [
                "Monitor", "Config", "Alerts", "Reports", "Store", "Stories", "WordPiece", "Transformer", "CKernels", "Feeds", "CurlHTTP", "CCurl", "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "WordPieceTests",
            dependencies: ["WordPiece"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TransformerTests",
            dependencies: ["Transformer", "WordPiece", "CKernels"],
            exclude: ["Fixtures"]
        ),
        // A real HTTP/1.1 server on 127.0.0.1 for tests (feeds, redirects, slow and hostile responses, webhooks).
        // Fuzz targets for every parser of untrusted bytes; finsent-fuzz replays files through them, or, built by
        // scripts/fuzz.sh with -sanitize=fuzzer,address -DFUZZING, is the libFuzzer binary.
        .target(name: "FuzzTargets", dependencies: ["Feeds", "Config", "WordPiece", "Transformer", "API",
                                                    .product(name: "HummingbirdCore", package: "hummingbird")]),
        .executableTarget(name: "finsent-fuzz", dependencies: ["FuzzTargets"]),
        .target(name: "LocalHTTPServer", path: "Tests/Support/LocalHTTPServer"),
        .testTarget(
            name: "FeedsTests",
            dependencies: ["Feeds"],
            exclude: ["Corpus", "Differential"]
        ),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: ["CurlHTTP", "LocalHTTPServer"]
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "MonitorTests",
            dependencies: ["Monitor", "Config", "Alerts", "Reports", "API", "Store", "Stories", "Feeds", "CurlHTTP", "LocalHTTPServer", "monitord", "monitorctl",
                           .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
    ]
)
