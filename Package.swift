// swift-tools-version:6.0
// clickhouse-backup-plugin: a gRPC backup plugin for the Altinity clickhouse-operator.
// Layout (one role per module):
//   CGRPC, CProtobuf         C shims: the gRPC C core and the protobuf-c generated code
//   RPCRuntime               our small gRPC server runtime over the C core
//   BackupProtocol           the wire messages, mapped by hand to Swift types
//   BackupDomain             pure: JSON, CHI/CHB models, validation, filters, SQL, plans
//   BackupService            the gRPC services: Backup, Identity, Health, Reflection
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
    ],
    targets: [
        .systemLibrary(name: "CGRPC", path: "Sources/CGRPC"),
        .target(name: "CProtobuf", path: "Sources/CProtobuf"),
        .target(name: "RPCRuntime", dependencies: ["CGRPC"]),
        .target(name: "BackupProtocol", dependencies: ["CProtobuf", "RPCRuntime"]),
        .target(name: "BackupDomain"),
        .target(name: "BackupService", dependencies: ["RPCRuntime", "BackupProtocol", "BackupDomain"]),
        .executableTarget(
            name: "clickhouse-backup-plugin",
            dependencies: [
                "BackupService", "BackupDomain", "RPCRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: ["BackupDomain", "BackupProtocol"],
            path: "Fuzz/DecoderFuzzer"
        ),
        .testTarget(name: "RPCRuntimeTests", dependencies: ["RPCRuntime", "CGRPC"]),
        .testTarget(name: "BackupProtocolTests", dependencies: ["BackupProtocol"]),
        .testTarget(name: "BackupDomainTests", dependencies: ["BackupDomain"], exclude: ["Fixtures"]),
        .testTarget(name: "BackupServiceTests", dependencies: ["BackupService", "BackupDomain", "RPCRuntime", "BackupProtocol"]),
    ],
    swiftLanguageModes: [.v6]
)
