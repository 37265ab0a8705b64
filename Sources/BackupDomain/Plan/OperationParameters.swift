/// The `parameters` map of a Backup or Restore request, validated. Unknown keys are refused
/// (a typo such as `dryrun` must not silently run a real backup).
public struct OperationParameters: Equatable, Sendable {
    public enum Operation: String, Sendable { case backup, restore }
    /// Which replicas of each shard take part.
    public enum Replicas: String, Sendable { case first, all }
    /// Full or incremental; `auto` takes a full one when the last is older than `fullInterval`.
    public enum BackupType: String, Sendable { case full, incremental, auto }
    /// Tables that are not replicated (MergeTree, Log, Memory...) on a shard with several
    /// replicas, where each replica holds its own rows, with `replicas=first`: back up every
    /// replica's copy (the default: nothing is lost), the first replica's only (said in a
    /// warning), or refuse the backup.
    public enum LocalTables: String, Sendable { case eachReplica = "each_replica", firstReplica = "first_replica", refuse }

    public var dryRun = false
    public var replicas = Replicas.first
    /// A backup disk configured on the servers, used instead of the CHB's S3 destination.
    public var disk: String?
    public var cancelOnAbort = false
    /// At most this many shards at once (nil: the server's `--parallel-shards`).
    public var parallelShards: Int?
    // Backup only.
    public var backupType = BackupType.auto
    /// Seconds after which `auto` takes a full backup again (nil: the server's `--full-interval`).
    public var fullInterval: Int64?
    public var compressionMethod: String?
    public var compressionLevel: Int?
    public var localTables = LocalTables.eachReplica
    /// What the manifest records of each table's content (rows, or rows and a hash of every row).
    public var fingerprint = TableFingerprint.Mode.rows
    /// VerifyBackup after a successful backup when none of the CHI's N newest was verified.
    public var verifyEvery: Int?
    /// Bytes per second each host's BACKUP may read (ClickHouse's `max_backup_bandwidth`).
    public var maxBackupBandwidth: Int64?
    /// The S3 storage class of the backup's objects (ClickHouse's `s3_storage_class`).
    public var storageClass: String?
    /// Server-side copies within S3 (ClickHouse's `allow_s3_native_copy`; nil: the server's default).
    public var allowS3NativeCopy: Bool?
    /// Retention applied after each successful backup (ApplyRetention's rules: chains by count
    /// and age, and the calendar rules).
    public var retention = RetentionRules()
    public var keepFullChains: Int? {
        get { retention.keepFullChains }
        set { retention.keepFullChains = newValue }
    }
    /// Seconds.
    public var maxAge: Int64? {
        get { retention.maxAge }
        set { retention.maxAge = newValue }
    }
    /// The S3 region the plugin signs its own requests for (nil: the server's `--s3-region`).
    public var region: String?
    /// Only these partitions of the tables they name (`db.t:202611,202612;db.u:tuple()`). A
    /// backup of some partitions is always full and never the base of an incremental one.
    public var partitions: PartitionSelection?
    /// SQL-managed users, roles, settings profiles, row policies and quotas go with the tables
    /// (`TABLE system.users, ...`); `users.xml` is configuration, not backed up.
    public var includeAccess = false
    /// SQL user-defined functions go with the tables (`TABLE system.functions`).
    public var includeFunctions = false
    /// Restore: what becomes of an access entity or function that exists already (ClickHouse's
    /// `create_access` / `create_function`: `create` fails, `create-if-not-exists` keeps it, `replace`).
    public var createAccess: String?
    public var createFunction: String?
    /// Each part of the backup as one archive object, `backup.FORMAT` (tar, tar.gz, tar.zst...).
    public var archive: String?
    // Restore only.
    public var allowNonEmptyTables = false
    public var structureOnly = false
    public var databaseMapping: [(source: String, target: String)] = []
    public var createTable: String?
    /// Clear replicas Keeper still holds for the tables being restored (REPLICA_ALREADY_EXISTS).
    public var dropStaleReplicas = false
    /// The backup to restore when it is not the CHB's own (e.g. one run of a schedule).
    public var backupName: String?
    /// Which backup shard goes to which shard of the target cluster (`0:0,1:0`), needed when
    /// their shard counts differ.
    public var shardMapping: [(source: Int, target: Int)] = []

    public static let common = ["dry_run", "replicas", "disk", "cancel_on_abort", "parallel_shards", "region", "allow_s3_native_copy", "partitions",
                                 "include_access", "include_functions"]
    public static let backupOnly = ["compression_method", "compression_level", "type", "full_interval", "local_tables", "fingerprint", "verify_every",
                                    "max_backup_bandwidth", "storage_class", "archive"] + RetentionRules.keys
    public static let restoreOnly = ["allow_non_empty_tables", "structure_only", "database_mapping", "create_table", "backup_name", "shard_mapping",
                                     "drop_stale_replicas", "create_access", "create_function"]
    public static let creationModes = ["create", "create-if-not-exists", "replace"]
    /// The archive formats ClickHouse writes to object storage (zip needs seeking: refused there).
    public static let archiveFormats = ["tar", "tar.gz", "tgz", "tar.zst", "tzst", "tar.xz", "tar.bz2", "tar.lzma"]
    public static let compressionMethods = ["lz4", "lz4hc", "zstd", "deflate", "brotli", "xz", "bz2", "lzma", "gzip", "none"]
    public static let createTableModes = ["create", "must-exist", "if-not-exists"]

    public init() {}

    /// Every key `operation` accepts.
    public static func keys(for operation: Operation) -> [String] { common + (operation == .backup ? backupOnly : restoreOnly) }

    /// The `system` tables that carry access entities and functions, as asked.
    public var systemElements: [BackupElement] {
        let access = includeAccess ? ["users", "roles", "settings_profiles", "row_policies", "quotas"] : []
        return (access + (includeFunctions ? ["functions"] : [])).map { .table(TableName(database: "system", table: $0)) }
    }

    /// Whether a successful backup is followed by retention.
    public var appliesRetention: Bool { !retention.isEmpty }

    public static func == (a: Self, b: Self) -> Bool {
        a.dryRun == b.dryRun && a.replicas == b.replicas && a.disk == b.disk && a.cancelOnAbort == b.cancelOnAbort
            && a.compressionMethod == b.compressionMethod && a.compressionLevel == b.compressionLevel
            && a.allowNonEmptyTables == b.allowNonEmptyTables && a.structureOnly == b.structureOnly
            && a.databaseMapping.map(\.source) == b.databaseMapping.map(\.source)
            && a.databaseMapping.map(\.target) == b.databaseMapping.map(\.target)
            && a.createTable == b.createTable && a.backupName == b.backupName && a.dropStaleReplicas == b.dropStaleReplicas && a.parallelShards == b.parallelShards
            && a.backupType == b.backupType && a.fullInterval == b.fullInterval && a.localTables == b.localTables
            && a.retention == b.retention && a.region == b.region && a.fingerprint == b.fingerprint && a.verifyEvery == b.verifyEvery
            && a.maxBackupBandwidth == b.maxBackupBandwidth && a.storageClass == b.storageClass && a.allowS3NativeCopy == b.allowS3NativeCopy
            && a.shardMapping.map(\.source) == b.shardMapping.map(\.source) && a.shardMapping.map(\.target) == b.shardMapping.map(\.target)
    }

    /// `50000000`, `50K`, `50M`, `1G` (powers of 1000, as rates are written) in bytes; nil when it is not one.
    public static func parseByteRate(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1_000, "M": 1_000_000, "G": 1_000_000_000]
        guard let last = text.last else { return nil }
        let (digits, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let number = Int64(digits), number >= 0, number <= Int64.max / unit else { return nil }
        return number * unit
    }

    /// Validates `raw` for `operation`; issues go to `log` with paths like `parameters["dry_run"]`.
    public static func parse(_ raw: [String: String], for operation: Operation, log: IssueLog) -> OperationParameters {
        var result = OperationParameters()
        let known = keys(for: operation)
        for key in raw.keys.sorted() {
            let value = raw[key]!
            let path = "parameters[\(BoundedText.quoted(key))]"
            func problem(_ text: String) { log.add(path, text) }
            func flag() -> Bool {
                switch value.lowercased() {
                case "true", "1", "yes": return true
                case "false", "0", "no", "": return false
                default: problem("must be true or false, not \(BoundedText.quoted(value))"); return false
                }
            }
            switch key {
            case "dry_run": result.dryRun = flag()
            case "cancel_on_abort": result.cancelOnAbort = flag()
            case "parallel_shards":
                if let count = Int(value), (1...1024).contains(count) { result.parallelShards = count } else { problem("must be a number of shards from 1 to 1024, not \(BoundedText.quoted(value))") }
            case "replicas":
                if let replicas = Replicas(rawValue: value) { result.replicas = replicas } else { problem("must be first or all, not \(BoundedText.quoted(value))") }
            case "disk":
                if isIdentifierLike(value) { result.disk = value } else { problem("must be the name of a backup disk (letters, digits, '_', '-'), not \(BoundedText.quoted(value))") }
            case "region":
                if isRegion(value) { result.region = value } else { problem("must be an S3 region name such as eu-west-1, not \(BoundedText.quoted(value))") }
            case "max_backup_bandwidth" where operation == .backup:
                if let bytes = parseByteRate(value), bytes > 0 { result.maxBackupBandwidth = bytes } else { problem("must be bytes per second such as 50000000, 50M or 1G, not \(BoundedText.quoted(value))") }
            case "storage_class" where operation == .backup:
                if !value.isEmpty, value.utf8.count <= 64, value.utf8.allSatisfy({ (65...90).contains($0) || $0 == 95 }) { result.storageClass = value } else { problem("must be an S3 storage class such as STANDARD_IA or INTELLIGENT_TIERING, not \(BoundedText.quoted(value))") }
            case "allow_s3_native_copy": result.allowS3NativeCopy = flag()
            case "archive" where operation == .backup:
                if archiveFormats.contains(value) {
                    result.archive = value
                } else if value == "zip" {
                    problem("zip (and so a password) is refused by ClickHouse on S3 and object-storage disks, since writing zip needs seeking; use one of \(archiveFormats.joined(separator: ", "))")
                } else {
                    problem("must be one of \(archiveFormats.joined(separator: ", ")), not \(BoundedText.quoted(value))")
                }
            case "include_access": result.includeAccess = flag()
            case "include_functions": result.includeFunctions = flag()
            case "create_access" where operation == .restore, "create_function" where operation == .restore:
                guard creationModes.contains(value) else { problem("must be one of \(creationModes.joined(separator: ", ")), not \(BoundedText.quoted(value))"); break }
                if key == "create_access" { result.createAccess = value } else { result.createFunction = value }
            case "partitions":
                do { result.partitions = try PartitionSelection(parsing: value) } catch { problem(error.message) }
            case "verify_every" where operation == .backup:
                if let count = Int(value), (1...10_000).contains(count) { result.verifyEvery = count } else { problem("must be a count of backups from 1 to 10000, not \(BoundedText.quoted(value))") }
            case "fingerprint" where operation == .backup:
                if let mode = TableFingerprint.Mode(rawValue: value) { result.fingerprint = mode } else { problem("must be rows, data or none, not \(BoundedText.quoted(value))") }
            case _ where operation == .backup && RetentionRules.keys.contains(key):
                if let reason = result.retention.set(key, value) { problem(reason) }
            case "type" where operation == .backup:
                if let type = BackupType(rawValue: value) { result.backupType = type } else { problem("must be full, incremental or auto, not \(BoundedText.quoted(value))") }
            case "full_interval" where operation == .backup:
                if let seconds = parseDuration(value), seconds > 0 { result.fullInterval = seconds } else { problem("must be a duration such as 7d, 12h, 30m or 90s, not \(BoundedText.quoted(value))") }
            case "compression_method" where operation == .backup:
                if compressionMethods.contains(value) { result.compressionMethod = value } else { problem("must be one of \(compressionMethods.joined(separator: ", ")), not \(BoundedText.quoted(value))") }
            case "local_tables" where operation == .backup:
                if let mode = LocalTables(rawValue: value) { result.localTables = mode } else { problem("must be each_replica, first_replica or refuse, not \(BoundedText.quoted(value))") }
            case "compression_level" where operation == .backup:
                if let level = Int(value), (-131072...22).contains(level) { result.compressionLevel = level } else { problem("must be an integer compression level, not \(BoundedText.quoted(value))") }
            case "allow_non_empty_tables" where operation == .restore: result.allowNonEmptyTables = flag()
            case "structure_only" where operation == .restore: result.structureOnly = flag()
            case "drop_stale_replicas" where operation == .restore: result.dropStaleReplicas = flag()
            case "create_table" where operation == .restore:
                if createTableModes.contains(value) { result.createTable = value } else { problem("must be one of \(createTableModes.joined(separator: ", ")), not \(BoundedText.quoted(value))") }
            case "backup_name" where operation == .restore:
                if KubernetesNames.isSubdomain(value) { result.backupName = value } else { problem("must be a backup name (lower-case letters, digits, '-', '.'), not \(BoundedText.quoted(value))") }
            case "database_mapping" where operation == .restore:
                result.databaseMapping = parseMapping(value, problem: problem)
            case "shard_mapping" where operation == .restore:
                result.shardMapping = parseShardMapping(value, problem: problem)
            default:
                problem("is not a \(operation.rawValue) parameter; known: \(known.sorted().joined(separator: ", "))")
            }
        }
        if result.partitions != nil, result.backupType == .incremental {
            log.add("parameters[\"partitions\"]", "a backup of some partitions is always full (it is never a base either); "
                    + "leave parameters[\"type\"] out or set it to full")
        }
        return result
    }

    /// `src:dst,src2:dst2` → pairs; each database at most once on either side.
    private static func parseMapping(_ value: String, problem: (String) -> Void) -> [(source: String, target: String)] {
        var pairs: [(source: String, target: String)] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let sides = item.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard sides.count == 2, !sides[0].isEmpty, !sides[1].isEmpty else {
                problem("must be source:target pairs separated by commas, e.g. db:db_restored; \(BoundedText.quoted(String(item))) is not one")
                return []
            }
            pairs.append((sides[0], sides[1]))
        }
        if Set(pairs.map(\.source)).count != pairs.count || Set(pairs.map(\.target)).count != pairs.count {
            problem("names a database twice on one side")
            return []
        }
        return pairs
    }

    /// `0:0,1:0` → (backup shard, target shard) pairs; each backup shard once. Two backup
    /// shards onto one cluster shard merge there (restored one after the other).
    private static func parseShardMapping(_ value: String, problem: (String) -> Void) -> [(source: Int, target: Int)] {
        var pairs: [(source: Int, target: Int)] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let sides = item.split(separator: ":", omittingEmptySubsequences: false).map { Int(String($0).trimmingSpaces) }
            guard sides.count == 2, let source = sides[0], let target = sides[1], source >= 0, target >= 0 else {
                problem("must be backupShard:targetShard pairs of shard indexes, e.g. 0:0,1:1; \(BoundedText.quoted(String(item))) is not one")
                return []
            }
            pairs.append((source, target))
        }
        if Set(pairs.map(\.source)).count != pairs.count {
            problem("maps a backup shard twice; each goes to one cluster shard (several may go to the same one)")
            return []
        }
        return pairs
    }

    /// `7d`, `12h`, `30m`, `90s` (or plain seconds) → seconds.
    public static func parseDuration(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        guard let last = text.last else { return nil }
        let (digits, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int64(digits), number <= Int64.max / unit else { return nil }
        return number * unit
    }

    /// An S3 region name: letters, digits and `-` (the request and the catalog calls share it).
    public static func isRegion(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    private static func isIdentifierLike(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
