// swift-tools-version:6.0
// clickhouse-backup-plugin: a gRPC backup plugin for the Altinity clickhouse-operator.
// Layout (one role per module):
//   CGRPC, CProtobuf, CCurl, CExpat, CYAML, CCrypto  C shims: the gRPC C core, protobuf-c generated code, libcurl,
//                            Expat (XML), libyaml, OpenSSL's libcrypto
//   CryptoDigest             SHA-256 from libcrypto, given to the domain
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
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CExpat", path: "Sources/CExpat"),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .target(name: "CryptoDigest", dependencies: ["CCrypto", "BackupDomain"]),
        .target(name: "RPCRuntime", dependencies: ["CGRPC"]),
        .target(name: "HTTPTransport", dependencies: ["CCurl", "RPCRuntime"]),
        .target(name: "BackupClients", dependencies: ["CExpat", "CYAML", "HTTPTransport", "RPCRuntime", "BackupDomain"]),
        .target(name: "BackupProtocol", dependencies: ["CProtobuf", "RPCRuntime"]),
        .target(name: "BackupDomain"),
        .target(name: "BackupService", dependencies: ["RPCRuntime", "BackupProtocol", "BackupDomain", "BackupClients", "HTTPTransport", "CryptoDigest"]),
        .target(name: "Observability", dependencies: [
            "BackupService", "BackupClients", "BackupDomain", "RPCRuntime",
            .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .executableTarget(
            name: "clickhouse-backup-plugin",
            dependencies: [
                "BackupService", "Observability", "BackupDomain", "BackupClients", "HTTPTransport", "RPCRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: ["BackupDomain", "BackupProtocol", "CryptoDigest"],
            path: "Fuzz/DecoderFuzzer"
        ),
        .testTarget(name: "RPCRuntimeTests", dependencies: ["RPCRuntime", "CGRPC"]),
        .testTarget(name: "BackupProtocolTests", dependencies: ["BackupProtocol"]),
        .testTarget(name: "BackupDomainTests", dependencies: ["BackupDomain", "CryptoDigest"], exclude: ["Fixtures"]),
        .testTarget(name: "CryptoDigestTests", dependencies: ["CryptoDigest", "BackupDomain"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport"]),
        .testTarget(name: "BackupClientsTests", dependencies: ["BackupClients", "HTTPTransport"]),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability", "BackupService", "BackupClients", "HTTPTransport", "RPCRuntime"]),
        .testTarget(name: "BackupServiceTests", dependencies: ["BackupService", "BackupDomain", "RPCRuntime", "BackupProtocol"]),
    ],
    swiftLanguageModes: [.v6]
)
