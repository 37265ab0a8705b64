import CProtobuf
import RPCRuntime

/// `altinity.backup.v1.BackupRequest`: what the operator sends to back up.
public struct BackupRequest: RPCMessage, Equatable {
    /// JSON of the ClickHouseInstallation (field 1).
    public var chiDefinition: [UInt8]
    /// JSON of the ClickHouseBackup or ClickHouseScheduledBackup (field 2).
    public var backupDefinition: [UInt8]
    /// Overrides (field 3).
    public var parameters: [String: String]

    public init(chiDefinition: [UInt8] = [], backupDefinition: [UInt8] = [], parameters: [String: String] = [:]) {
        self.chiDefinition = chiDefinition
        self.backupDefinition = backupDefinition
        self.parameters = parameters
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.BackupRequest",
            unpack: { altinity__backup__v1__backup_request__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__backup_request__free_unpacked($0, nil) }
        ) { message in
            BackupRequest(
                chiDefinition: CRead.bytes(message.chi_definition),
                backupDefinition: CRead.bytes(message.backup_definition),
                parameters: CRead.map(message.parameters, count: message.n_parameters) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__BackupRequest()
        altinity__backup__v1__backup_request__init(&message)
        message.chi_definition = arena.bytes(chiDefinition)
        message.backup_definition = arena.bytes(backupDefinition)
        (message.n_parameters, message.parameters) = arena.map(parameters) { key, value in
            var entry = Altinity__Backup__V1__BackupRequest__ParametersEntry()
            altinity__backup__v1__backup_request__parameters_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__backup_request__get_packed_size($0) },
                                   pack: { altinity__backup__v1__backup_request__pack($0, $1) })
    }
}

/// `altinity.backup.v1.BackupResult`: what the operator records in the CHB status.
public struct BackupResult: RPCMessage, Equatable {
    /// Machine-readable id (field 1).
    public var backupID: String
    /// Human-readable name (field 2).
    public var backupName: String
    /// Unix seconds (field 3).
    public var startedAt: Int64
    /// Unix seconds (field 4).
    public var stoppedAt: Int64
    /// Plugin-specific details (field 5).
    public var metadata: [String: String]

    public init(backupID: String = "", backupName: String = "", startedAt: Int64 = 0, stoppedAt: Int64 = 0, metadata: [String: String] = [:]) {
        self.backupID = backupID
        self.backupName = backupName
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.metadata = metadata
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.BackupResult",
            unpack: { altinity__backup__v1__backup_result__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__backup_result__free_unpacked($0, nil) }
        ) { message in
            BackupResult(
                backupID: CRead.string(message.backup_id), backupName: CRead.string(message.backup_name),
                startedAt: message.started_at, stoppedAt: message.stopped_at,
                metadata: CRead.map(message.metadata, count: message.n_metadata) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__BackupResult()
        altinity__backup__v1__backup_result__init(&message)
        message.backup_id = arena.string(backupID)
        message.backup_name = arena.string(backupName)
        message.started_at = startedAt
        message.stopped_at = stoppedAt
        (message.n_metadata, message.metadata) = arena.map(metadata) { key, value in
            var entry = Altinity__Backup__V1__BackupResult__MetadataEntry()
            altinity__backup__v1__backup_result__metadata_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__backup_result__get_packed_size($0) },
                                   pack: { altinity__backup__v1__backup_result__pack($0, $1) })
    }
}
