import CProtobuf
import RPCRuntime

/// `altinity.backup.v1.RestoreRequest`: restore the backup a CHB names into a CHI.
public struct RestoreRequest: RPCMessage, Equatable {
    /// JSON of the target ClickHouseInstallation (field 1).
    public var chiDefinition: [UInt8]
    /// JSON of the ClickHouseBackup naming the backup (field 2).
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
            bytes, typeName: "altinity.backup.v1.RestoreRequest",
            unpack: { altinity__backup__v1__restore_request__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__restore_request__free_unpacked($0, nil) }
        ) { message in
            RestoreRequest(
                chiDefinition: CRead.bytes(message.chi_definition),
                backupDefinition: CRead.bytes(message.backup_definition),
                parameters: CRead.map(message.parameters, count: message.n_parameters) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__RestoreRequest()
        altinity__backup__v1__restore_request__init(&message)
        message.chi_definition = arena.bytes(chiDefinition)
        message.backup_definition = arena.bytes(backupDefinition)
        (message.n_parameters, message.parameters) = arena.map(parameters) { key, value in
            var entry = Altinity__Backup__V1__RestoreRequest__ParametersEntry()
            altinity__backup__v1__restore_request__parameters_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__restore_request__get_packed_size($0) },
                                   pack: { altinity__backup__v1__restore_request__pack($0, $1) })
    }
}

/// `altinity.backup.v1.RestoreResult`.
public struct RestoreResult: RPCMessage, Equatable {
    public var restoreID: String
    public var restoreName: String
    /// Unix seconds.
    public var startedAt: Int64
    /// Unix seconds.
    public var stoppedAt: Int64
    public var metadata: [String: String]

    public init(restoreID: String = "", restoreName: String = "", startedAt: Int64 = 0, stoppedAt: Int64 = 0, metadata: [String: String] = [:]) {
        self.restoreID = restoreID
        self.restoreName = restoreName
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.metadata = metadata
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.RestoreResult",
            unpack: { altinity__backup__v1__restore_result__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__restore_result__free_unpacked($0, nil) }
        ) { message in
            RestoreResult(
                restoreID: CRead.string(message.restore_id), restoreName: CRead.string(message.restore_name),
                startedAt: message.started_at, stoppedAt: message.stopped_at,
                metadata: CRead.map(message.metadata, count: message.n_metadata) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__RestoreResult()
        altinity__backup__v1__restore_result__init(&message)
        message.restore_id = arena.string(restoreID)
        message.restore_name = arena.string(restoreName)
        message.started_at = startedAt
        message.stopped_at = stoppedAt
        (message.n_metadata, message.metadata) = arena.map(metadata) { key, value in
            var entry = Altinity__Backup__V1__RestoreResult__MetadataEntry()
            altinity__backup__v1__restore_result__metadata_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__restore_result__get_packed_size($0) },
                                   pack: { altinity__backup__v1__restore_result__pack($0, $1) })
    }
}
