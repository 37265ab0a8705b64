import PluginSupport

/// Every ClickHouse error code the plugin can meet, with the kind of failure it is (the
/// service's error map turns kinds into gRPC statuses) and, where the caller can act on it,
/// what to do. One table: `docs/clickhouse-errors.md` is checked against it by a test, and
/// codes not listed are `unknown`.
public enum ClickHouseErrorMap {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let kind: FailureKind
        /// What the caller can do about it; empty when the message says enough.
        public let remedy: String
    }

    /// The kind of a code with no entry (ClickHouse's own bug, or an error nobody expected).
    public static let fallback = FailureKind.unknown

    public static func entry(_ code: Int) -> Entry? { table[code] }

    private static func e(_ name: String, _ kind: FailureKind, _ remedy: String = "") -> Entry {
        Entry(name: name, kind: kind, remedy: remedy)
    }

    static let userRemedy = "give the plugin a ClickHouse user of its own whose networks admit the plugin's address "
        + "(the operator limits `default` to localhost and the CHI's pods; README: ClickHouse user for the plugin) "
        + "and pass it with --clickhouse-user and --clickhouse-password-file"

    /// code → entry. Grouped by what the caller does next.
    public static let table: [Int: Entry] = [
        // The plugin's own ClickHouse user is refused: not the gRPC caller's credentials, so
        // a permission failure (the operator limits `default` to localhost and the CHI's pods).
        192: e("UNKNOWN_USER", .permission, userRemedy),
        193: e("WRONG_PASSWORD", .permission, userRemedy),
        194: e("REQUIRED_PASSWORD", .permission, userRemedy),
        195: e("IP_ADDRESS_NOT_ALLOWED", .permission, userRemedy),
        516: e("AUTHENTICATION_FAILED", .permission, userRemedy),
        // What the plugin's user may do: grant it.
        164: e("READONLY", .permission, "the plugin's user is read-only: give it a profile with readonly = 0"),
        291: e("DATABASE_ACCESS_DENIED", .permission, "grant the plugin's user access to the database"),
        472: e("READONLY_SETTING", .permission, "allow the plugin's user to change the setting named in the message"),
        481: e("PATH_ACCESS_DENIED", .permission),
        482: e("DICTIONARY_ACCESS_DENIED", .permission, "grant the plugin's user dictGet on the dictionary"),
        497: e("ACCESS_DENIED", .permission, "grant the plugin's user BACKUP, RESTORE and the grants the message names"),
        673: e("RESOURCE_ACCESS_DENIED", .permission),
        // Names that are not there.
        60: e("UNKNOWN_TABLE", .notFound),
        81: e("UNKNOWN_DATABASE", .notFound),
        599: e("BACKUP_NOT_FOUND", .notFound, "check the backup's name and location; ListBackups shows what exists"),
        // The backup itself.
        598: e("BACKUP_ALREADY_EXISTS", .alreadyExists, "name another backup, or delete this one first"),
        601: e("BACKUP_DAMAGED", .dataLoss, "the backup's files are damaged: restore another backup"),
        605: e("BACKUP_ENTRY_NOT_FOUND", .dataLoss, "a file of the backup is missing: restore another backup"),
        600: e("BACKUP_VERSION_NOT_SUPPORTED", .refused, "restore on a ClickHouse at least as new as the one that wrote it"),
        602: e("NO_BASE_BACKUP", .refused, "the incremental backup's base is gone: restore a full backup"),
        603: e("WRONG_BASE_BACKUP", .refused, "the incremental backup's base was replaced: restore a full backup"),
        606: e("BACKUP_IS_EMPTY", .refused, "the selection matched no table on this host"),
        627: e("BACKUP_ENGINE_NOT_FOUND", .refused),
        647: e("CANNOT_BACKUP_TABLE", .refused, "leave the table out with the CHB's blackList"),
        664: e("ACCESS_STORAGE_DOESNT_ALLOW_BACKUP", .refused),
        // The target is not in a state to restore into.
        57: e("TABLE_ALREADY_EXISTS", .refused, "drop the table first, or restore under another name (parameters[\"database_mapping\"])"),
        82: e("DATABASE_ALREADY_EXISTS", .refused, "drop the database first, or restore under another name (parameters[\"database_mapping\"])"),
        387: e("DICTIONARY_ALREADY_EXISTS", .refused, "drop the dictionary first"),
        607: e("CANNOT_RESTORE_DATABASE", .refused,
               "the database exists with another definition: drop it, or restore under another name (parameters[\"database_mapping\"])"),
        608: e("CANNOT_RESTORE_TABLE", .refused,
               "the table exists with another definition or holds rows: drop it, or restore under another name (parameters[\"database_mapping\"])"),
        697: e("CANNOT_RESTORE_TO_NONENCRYPTED_DISK", .refused),
        253: e("REPLICA_ALREADY_EXISTS", .refused,
               "a replica with this path is left in Keeper: run SYSTEM DROP REPLICA 'REPLICA' FROM ZKPATH 'PATH' on a host, then call again"),
        242: e("TABLE_IS_READ_ONLY", .refused, "the replicated table has no Keeper session: check the ClickHouse hosts' Keeper"),
        336: e("UNKNOWN_DATABASE_ENGINE", .refused),
        587: e("CONCURRENT_ACCESS_NOT_SUPPORTED", .refused,
               "the servers allow one backup or restore at a time (allow_concurrent_backups/restores): wait for the running one"),
        243: e("NOT_ENOUGH_SPACE", .exhausted),
        241: e("MEMORY_LIMIT_EXCEEDED", .exhausted),
        173: e("CANNOT_ALLOCATE_MEMORY", .exhausted),
        // Bad values the plugin passed on (parameters it does not check itself).
        653: e("CANNOT_PARSE_BACKUP_SETTINGS", .invalid),
        654: e("WRONG_BACKUP_SETTINGS", .invalid),
        // Worth retrying: the fault is the network's, Keeper's or the load's.
        159: e("TIMEOUT_EXCEEDED", .unavailable),
        202: e("TOO_MANY_SIMULTANEOUS_QUERIES", .unavailable),
        209: e("SOCKET_TIMEOUT", .unavailable),
        210: e("NETWORK_ERROR", .unavailable),
        225: e("NO_ZOOKEEPER", .unavailable),
        244: e("UNEXPECTED_ZOOKEEPER_ERROR", .unavailable),
        252: e("TOO_MANY_PARTS", .unavailable),
        254: e("NO_ACTIVE_REPLICAS", .unavailable),
        364: e("RECEIVED_ERROR_TOO_MANY_REQUESTS", .unavailable),
        394: e("QUERY_WAS_CANCELLED", .unavailable),
        655: e("FAILED_TO_SYNC_BACKUP_OR_RESTORE", .unavailable),
        663: e("INCONSISTENT_METADATA_FOR_BACKUP", .unavailable, "tables changed while the backup listed them: call again"),
        999: e("KEEPER_EXCEPTION", .unavailable),
        1000: e("POCO_EXCEPTION", .unavailable),
        // S3_ERROR: refused keys are the caller's to fix, anything else is worth retrying.
        499: e("S3_ERROR", .unavailable),
        // Our SQL is wrong: a bug of the plugin.
        62: e("SYNTAX_ERROR", .internal),
        47: e("UNKNOWN_IDENTIFIER", .internal),
    ]
}
