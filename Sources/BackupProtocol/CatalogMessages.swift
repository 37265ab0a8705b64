import CProtobuf
import RPCRuntime

/// `altinity.backup.v1.CatalogRequest`: whose backups, where, and what to do with them.
public struct CatalogRequest: RPCMessage, Equatable {
    /// JSON of the ClickHouseInstallation (field 1).
    public var chiDefinition: [UInt8]
    /// JSON of a ClickHouseBackup or ClickHouseScheduledBackup (field 2).
    public var backupDefinition: [UInt8]
    /// `backup_name`, `force`, `keep_full_chains`, `max_age`, `dry_run` (field 3).
    public var parameters: [String: String]

    public init(chiDefinition: [UInt8] = [], backupDefinition: [UInt8] = [], parameters: [String: String] = [:]) {
        self.chiDefinition = chiDefinition
        self.backupDefinition = backupDefinition
        self.parameters = parameters
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.CatalogRequest",
            unpack: { altinity__backup__v1__catalog_request__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__catalog_request__free_unpacked($0, nil) }
        ) { message in
            CatalogRequest(
                chiDefinition: CRead.bytes(message.chi_definition),
                backupDefinition: CRead.bytes(message.backup_definition),
                parameters: CRead.map(message.parameters, count: message.n_parameters) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__CatalogRequest()
        altinity__backup__v1__catalog_request__init(&message)
        message.chi_definition = arena.bytes(chiDefinition)
        message.backup_definition = arena.bytes(backupDefinition)
        (message.n_parameters, message.parameters) = arena.map(parameters) { key, value in
            var entry = Altinity__Backup__V1__CatalogRequest__ParametersEntry()
            altinity__backup__v1__catalog_request__parameters_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__catalog_request__get_packed_size($0) },
                                   pack: { altinity__backup__v1__catalog_request__pack($0, $1) })
    }
}

/// `altinity.backup.v1.BackupInfo`: one backup as the catalog knows it.
public struct BackupInfo: Equatable, Sendable {
    public var backupID: String
    public var backupName: String
    public var state: String
    public var type: String
    public var baseBackup: String
    public var totalSize: Int64
    public var startedAt: Int64
    public var stoppedAt: Int64
    public var location: String
    /// The last VerifyBackup: Unix seconds, 0 when never (field 10).
    public var verifiedAt: Int64
    /// Its verdict, `passed: ...` or `failed: ...`; empty when never (field 11).
    public var verification: String

    public init(backupID: String = "", backupName: String = "", state: String = "", type: String = "", baseBackup: String = "",
                totalSize: Int64 = 0, startedAt: Int64 = 0, stoppedAt: Int64 = 0, location: String = "",
                verifiedAt: Int64 = 0, verification: String = "") {
        (self.backupID, self.backupName, self.state, self.type, self.baseBackup) = (backupID, backupName, state, type, baseBackup)
        (self.totalSize, self.startedAt, self.stoppedAt, self.location) = (totalSize, startedAt, stoppedAt, location)
        (self.verifiedAt, self.verification) = (verifiedAt, verification)
    }

    init(c m: Altinity__Backup__V1__BackupInfo) {
        self.init(backupID: CRead.string(m.backup_id), backupName: CRead.string(m.backup_name), state: CRead.string(m.state),
                  type: CRead.string(m.type), baseBackup: CRead.string(m.base_backup), totalSize: m.total_size,
                  startedAt: m.started_at, stoppedAt: m.stopped_at, location: CRead.string(m.location),
                  verifiedAt: m.verified_at, verification: CRead.string(m.verification))
    }

    func c(_ arena: CArena) -> Altinity__Backup__V1__BackupInfo {
        var m = Altinity__Backup__V1__BackupInfo()
        altinity__backup__v1__backup_info__init(&m)
        (m.backup_id, m.backup_name, m.state) = (arena.string(backupID), arena.string(backupName), arena.string(state))
        (m.type, m.base_backup, m.location) = (arena.string(type), arena.string(baseBackup), arena.string(location))
        (m.total_size, m.started_at, m.stopped_at) = (totalSize, startedAt, stoppedAt)
        (m.verified_at, m.verification) = (verifiedAt, arena.string(verification))
        return m
    }
}

/// `altinity.backup.v1.CatalogResponse`.
public struct CatalogResponse: RPCMessage, Equatable {
    /// Listed, the one asked for, or the ones retention keeps (field 1).
    public var backups: [BackupInfo]
    /// Deleted, or with `dry_run` the ones that would be (field 2).
    public var deleted: [BackupInfo]
    /// Field 3.
    public var metadata: [String: String]

    public init(backups: [BackupInfo] = [], deleted: [BackupInfo] = [], metadata: [String: String] = [:]) {
        self.backups = backups
        self.deleted = deleted
        self.metadata = metadata
    }

    public init(serializedBytes bytes: [UInt8]) throws {
        self = try ProtobufCCodec.unpack(
            bytes, typeName: "altinity.backup.v1.CatalogResponse",
            unpack: { altinity__backup__v1__catalog_response__unpack(nil, $0, $1) },
            free: { altinity__backup__v1__catalog_response__free_unpacked($0, nil) }
        ) { message in
            CatalogResponse(
                backups: CRead.items(message.backups, count: message.n_backups).map(BackupInfo.init(c:)),
                deleted: CRead.items(message.deleted, count: message.n_deleted).map(BackupInfo.init(c:)),
                metadata: CRead.map(message.metadata, count: message.n_metadata) { (UnsafePointer($0.key), UnsafePointer($0.value)) })
        }
    }

    public func serializedBytes() -> [UInt8] {
        let arena = CArena()
        var message = Altinity__Backup__V1__CatalogResponse()
        altinity__backup__v1__catalog_response__init(&message)
        message.n_backups = backups.count
        message.backups = arena.pointerArray(backups.map { $0.c(arena) })
        message.n_deleted = deleted.count
        message.deleted = arena.pointerArray(deleted.map { $0.c(arena) })
        (message.n_metadata, message.metadata) = arena.map(metadata) { key, value in
            var entry = Altinity__Backup__V1__CatalogResponse__MetadataEntry()
            altinity__backup__v1__catalog_response__metadata_entry__init(&entry)
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return ProtobufCCodec.pack(&message, size: { altinity__backup__v1__catalog_response__get_packed_size($0) },
                                   pack: { altinity__backup__v1__catalog_response__pack($0, $1) })
    }
}
