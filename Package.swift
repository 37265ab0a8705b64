// swift-tools-version:6.0
// clickhouse-backup-plugin: a gRPC backup plugin for the Altinity clickhouse-operator.
// Layout (one role per module):
//   CGRPC, CProtobuf, CCurl, CExpat, CYAML, CCrypto, CGlibc  C shims: the gRPC C core, protobuf-c generated code,
//                            libcurl, Expat (XML), libyaml, OpenSSL's libcrypto, glibc's allocator tunables and thread names
//   CryptoDigest             SHA-256 from libcrypto, given to the domain
//   PluginSupport            what every layer shares: LockedState, PosixThread, duration units, watched files, failure kinds
//   RPCRuntime               our small gRPC server runtime over the C core
//   HTTPTransport            HTTP over libcurl (ClickHouse, S3): pooling, timeouts, --resolve, SigV4
//   BackupClients            ClickHouse HTTP client, S3 client, secret store, policy file (YAML)
//   BackupProtocol           the wire messages, mapped by hand to Swift types
//   BackupDomain             pure: JSON, CHI/CHB models, validation, filters, SQL, plans
//   BackupService            the gRPC services: Backup, Catalog, Operations, Identity, Health, Reflection
//   Observability            metrics (swift-metrics into a Prometheus registry), the metrics HTTP port, notifications
//   clickhouse-backup-plugin the thin executable
import PackageDescription

let package = Package(
    name: "clickhouse-backup-plugin",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clickhouse-backup-plugin", targets: ["clickhouse-backup-plugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CGRPC", path: "Sources/CGRPC"),
        .target(name: "CProtobuf", path: "Sources/CProtobuf"),
        .target(name: "CCurl", path: "Sources/CCurl"),  // libcurl opened on first use (dlopen), not linked
        .systemLibrary(name: "CExpat", path: "Sources/CExpat"),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CGlibc", path: "Sources/CGlibc"),
        .target(name: "CryptoDigest", dependencies: ["CCrypto", "BackupDomain"]),
        .target(name: "PluginSupport", dependencies: ["CGlibc"]),
        .target(name: "RPCRuntime", dependencies: ["CGRPC", "PluginSupport"]),
        .target(name: "HTTPTransport", dependencies: ["CCurl", "PluginSupport"]),
        .target(name: "BackupClients", dependencies: ["CExpat", "CYAML", "HTTPTransport", "PluginSupport", "BackupDomain", "CryptoDigest",
                                                     .product(name: "Logging", package: "swift-log")]),
        .target(name: "BackupProtocol", dependencies: ["CProtobuf", "RPCRuntime"]),
        .target(name: "BackupDomain"),
        .target(name: "BackupService", dependencies: ["RPCRuntime", "BackupProtocol", "BackupDomain", "BackupClients", "HTTPTransport", "CryptoDigest",
                                                      "PluginSupport", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Observability", dependencies: [
            "BackupClients", "BackupDomain", "RPCRuntime", "PluginSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .executableTarget(
            name: "clickhouse-backup-plugin",
            dependencies: [
                "BackupService", "Observability", "BackupDomain", "BackupClients", "HTTPTransport", "RPCRuntime", "PluginSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: ["BackupDomain", "BackupProtocol", "CryptoDigest"],
            path: "Fuzz/DecoderFuzzer"
        ),
        .testTarget(name: "RPCRuntimeTests", dependencies: ["RPCRuntime", "CGRPC", "PluginSupport"]),
        .testTarget(name: "BackupProtocolTests", dependencies: ["BackupProtocol"]),
        .testTarget(name: "BackupDomainTests", dependencies: ["BackupDomain", "CryptoDigest"], exclude: ["Fixtures"]),
        .testTarget(name: "CryptoDigestTests", dependencies: ["CryptoDigest", "BackupDomain"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport", "CCurl", "PluginSupport"]),
        .testTarget(name: "BackupClientsTests", dependencies: ["BackupClients", "HTTPTransport", "PluginSupport",
                                                              .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability", "BackupClients", "BackupDomain", "HTTPTransport", "RPCRuntime",
                                                               "PluginSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "BackupServiceTests", dependencies: ["BackupService", "BackupDomain", "RPCRuntime", "BackupProtocol", "PluginSupport",
                                                             "BackupClients", "HTTPTransport"]),
    ],
    swiftLanguageModes: [.v6]
)
