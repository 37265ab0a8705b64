/// A status of ClickHouse's `system.backups` (and the plugin's own two: a host not started
/// yet, and a replica with nothing of its own to copy). A struct rather than an enum: a newer
/// ClickHouse may report a status this build has not met, and it must survive a round trip.
public struct BackupStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let creatingBackup = BackupStatus(rawValue: "CREATING_BACKUP")
    public static let backupCreated = BackupStatus(rawValue: "BACKUP_CREATED")
    public static let backupFailed = BackupStatus(rawValue: "BACKUP_FAILED")
    public static let backupCancelled = BackupStatus(rawValue: "BACKUP_CANCELLED")
    public static let restoring = BackupStatus(rawValue: "RESTORING")
    public static let restored = BackupStatus(rawValue: "RESTORED")
    public static let restoreFailed = BackupStatus(rawValue: "RESTORE_FAILED")
    public static let restoreCancelled = BackupStatus(rawValue: "RESTORE_CANCELLED")
    /// Older ClickHouse releases' names.
    public static let backupComplete = BackupStatus(rawValue: "BACKUP_COMPLETE")
    public static let failedToBackup = BackupStatus(rawValue: "FAILED_TO_BACKUP")
    public static let failedToRestore = BackupStatus(rawValue: "FAILED_TO_RESTORE")
    /// The plugin's: a host whose operation has not been seen yet.
    public static let pending = BackupStatus(rawValue: "PENDING")
    /// The plugin's: a replica with no table that is not replicated: nothing ran.
    public static let noLocalTables = BackupStatus(rawValue: "NO_LOCAL_TABLES")

    /// Statuses after which ClickHouse does nothing more for the operation.
    public static let terminal: Set<BackupStatus> = [.backupCreated, .backupFailed, .backupCancelled, .restored, .restoreFailed,
                                                     .restoreCancelled, .backupComplete, .failedToBackup, .failedToRestore]

    public var isTerminal: Bool { Self.terminal.contains(self) }
    /// The operation did what it was asked (or had nothing to do).
    public var succeeded: Bool { [.backupCreated, .restored, .backupComplete, .noLocalTables].contains(self) }
    public var description: String { rawValue }
}

/// The state of a backup as its manifest records it.
public enum ManifestState: String, Sendable, CaseIterable {
    case inProgress = "InProgress", completed = "Completed", failed = "Failed", cancelled = "Cancelled"
    /// A manifest without a state this build knows.
    case unknown = "Unknown"
}

/// The record of one backup, written next to its data as `manifest.json`: at start in
/// progress, rewritten at the end. One type, one encoder (``json``) and one decoder
/// (``init(json:)``): listing, chaining, retention, restores and recovery all read it.
public struct BackupManifest: Equatable, Sendable {
    public static let fileName = "manifest.json"
    public static let currentFormat = 1

    /// One host's part: what it wrote and how its operation ended.
    public struct HostEntry: Equatable, Sendable {
        public var shard: Int
        public var replica: Int
        public var fqdn: String
        public var role: PlannedHost.Role
        /// The ClickHouse id of the attempt that ran (the planned id, or `-aN` for a retry).
        public var clickHouseID: String
        public var location: String
        public var status: BackupStatus
        public var error: String?
        public var tables: [ServerTable]
        /// Databases written whole, with their definitions.
        public var databases: [String]
        public var numFiles: Int64 = 0
        public var totalSize: Int64 = 0
        public var compressedSize: Int64 = 0
        public var uncompressedSize: Int64 = 0
        /// Backup: what each table held, to verify the backup and check restores against.
        public var fingerprints: [TableFingerprint] = []

        public init(shard: Int, replica: Int, fqdn: String, role: PlannedHost.Role, clickHouseID: String, location: String,
                    status: BackupStatus, error: String? = nil, tables: [ServerTable] = [], databases: [String] = []) {
            (self.shard, self.replica, self.fqdn, self.role, self.clickHouseID) = (shard, replica, fqdn, role, clickHouseID)
            (self.location, self.status, self.error, self.tables, self.databases) = (location, status, error, tables, databases)
        }

        /// The key of this part among a backup's parts: its shard's index for the shard's
        /// data, `S/rR` for replica R's own copy.
        public var partKey: String { role == .local ? "\(shard)/r\(replica)" : String(shard) }
    }

    /// A replica that did not answer, with why.
    public struct SkippedEntry: Equatable, Sendable {
        public var fqdn: String
        public var shard: Int
        public var replica: Int
        public var reason: String

        public init(fqdn: String, shard: Int, replica: Int, reason: String) {
            (self.fqdn, self.shard, self.replica, self.reason) = (fqdn, shard, replica, reason)
        }
    }

    public var format = currentFormat
    public var pluginVersion: String
    public var state: ManifestState
    public var backupID: String
    public var backupName: String
    public var chi: (namespace: String, name: String, cluster: String)
    public var chb: (namespace: String, name: String, uid: String?)
    public var location: String
    public var kind: BackupRecord.Kind
    /// The backup an incremental one builds on.
    public var base: (name: String, id: String)?
    /// The selection in words.
    public var tables: String
    public var compression: String
    public var startedAt: Int64
    public var stoppedAt: Int64?
    public var shards: Int
    public var hosts: [HostEntry]
    public var skipped: [SkippedEntry]
    public var error: String?
    /// The last verification's findings (VerifyBackup), nil before any.
    public var verification: BackupVerification? = nil
    /// The partitions it holds of the tables it names (``PartitionSelection``'s text); nil:
    /// whole tables. Such a backup is full and never a base.
    public var partitions: String? = nil
    /// Each part as one archive `backup.FORMAT` in its folder (nil: a folder of files).
    public var archive: String? = nil
    /// What it holds besides tables: `access` (users, roles, ...), `functions`.
    public var includes: [String] = []

    /// The parameter a restore asks for that this backup was taken without (nil: none).
    public func missingIncludes(_ parameters: OperationParameters) -> String? {
        if parameters.includeAccess, !includes.contains("access") { return "include_access" }
        if parameters.includeFunctions, !includes.contains("functions") { return "include_functions" }
        return nil
    }

    public init(pluginVersion: String, state: ManifestState, backupID: String, backupName: String,
                chi: (namespace: String, name: String, cluster: String), chb: (namespace: String, name: String, uid: String?),
                location: String, kind: BackupRecord.Kind, base: (name: String, id: String)?, tables: String, compression: String,
                startedAt: Int64, stoppedAt: Int64?, shards: Int, hosts: [HostEntry], skipped: [SkippedEntry], error: String?) {
        (self.pluginVersion, self.state, self.backupID, self.backupName, self.chi, self.chb) = (pluginVersion, state, backupID, backupName, chi, chb)
        (self.location, self.kind, self.base, self.tables, self.compression) = (location, kind, base, tables, compression)
        (self.startedAt, self.stoppedAt, self.shards, self.hosts, self.skipped, self.error) = (startedAt, stoppedAt, shards, hosts, skipped, error)
    }

    public static func == (a: Self, b: Self) -> Bool { a.json == b.json }

    /// A part's sizes as `system.backups` reports its BACKUP, and any RESTORE of it.
    public struct PartSizes: Sendable, Equatable {
        public var numFiles: Int64
        public var totalSize: Int64
        public var compressedSize: Int64
        public var uncompressedSize: Int64

        public init(numFiles: Int64, totalSize: Int64, compressedSize: Int64, uncompressedSize: Int64) {
            (self.numFiles, self.totalSize, self.compressedSize, self.uncompressedSize) = (numFiles, totalSize, compressedSize, uncompressedSize)
        }
    }

    /// What a restore reads of a backup, keyed as ``HostEntry/partKey`` says: each part's
    /// tables and the databases it holds whole, and the backup's layout (who wrote what).
    public struct Parts: Sendable {
        public var tables: [String: [ServerTable]] = [:]
        public var wholeDatabases: [String: Set<String>] = [:]
        /// Each part's fingerprints, by table.
        public var fingerprints: [String: [TableName: TableFingerprint]] = [:]
        /// Each part's size as ClickHouse reported it (`total_size`, bases included).
        public var sizes: [String: Int64] = [:]
        /// The four sizes ClickHouse reported for each part that succeeded.
        public var reportedSizes: [String: PartSizes] = [:]
        public var layout = BackupLayout()
        /// The partitions the backup holds (nil: whole tables).
        public var partitions: PartitionSelection?
        /// Each part's archive format (nil: folders).
        public var archive: String?
    }

    public var parts: Parts {
        var parts = Parts()
        parts.partitions = partitions.flatMap { try? PartitionSelection(parsing: $0) }
        parts.archive = archive
        for host in hosts {
            parts.tables[host.partKey] = host.tables
            parts.wholeDatabases[host.partKey] = Set(host.databases)
            parts.sizes[host.partKey] = max(host.totalSize, host.uncompressedSize)
            if host.status.succeeded, host.numFiles > 0 {
                parts.reportedSizes[host.partKey] = PartSizes(numFiles: host.numFiles, totalSize: host.totalSize,
                                                              compressedSize: host.compressedSize, uncompressedSize: host.uncompressedSize)
            }
            parts.fingerprints[host.partKey] = Dictionary(host.fingerprints.map { ($0.table, $0) }, uniquingKeysWith: { a, _ in a })
            if host.role != .local {
                parts.layout.dataReplica[host.shard] = host.replica
            } else if host.status.succeeded, host.status != .noLocalTables {
                // A replica with no table to copy wrote none.
                parts.layout.localCopies[host.shard, default: []].append(host.replica)
            }
        }
        return parts
    }

    /// The backup as listing, chaining and retention see it.
    public var record: BackupRecord {
        var record = BackupRecord(name: backupName, id: backupID, state: state, kind: kind, base: base?.name, startedAt: startedAt,
                                  stoppedAt: stoppedAt, totalSize: hosts.reduce(0) { $0 + $1.totalSize }, shards: shards, location: location)
        record.verification = verification.map { BackupRecord.Verdict(at: $0.verifiedAt, passed: $0.passed, summary: $0.summary) }
        record.partitions = partitions
        record.archive = archive
        return record
    }
}
