/// What a table is to a backup, from its engine and name as `system.tables` lists them.
public enum TableKind: String, Sendable, CaseIterable {
    /// Replicated*MergeTree: every replica holds the same rows (one replica per shard backs it up).
    case replicated
    /// Data that lives on this host only (MergeTree, Log, Memory, ...): each replica has its own.
    case local
    /// A view or materialized view: its definition (a materialized view's inner table travels with it).
    case view
    /// A dictionary: its definition; the data is reloaded from its source.
    case dictionary
    /// Tables whose rows live elsewhere or nowhere (Distributed, Merge, Buffer, URL, S3, MySQL,
    /// Kafka, Null, ...): the backup holds their definition only.
    case definitionOnly = "definition_only"
    /// A materialized view's inner table (`.inner.` / `.inner_id.`): never named alone,
    /// ClickHouse backs it up and restores it with its view.
    case inner

    /// The engines whose rows are somewhere else (or nowhere): definition only.
    static let definitionOnlyEngines: Set<String> = [
        "Distributed", "Merge", "Buffer", "Null", "URL", "S3", "S3Queue", "AzureBlobStorage", "AzureQueue", "HDFS", "Hive",
        "MySQL", "PostgreSQL", "MaterializedPostgreSQL", "MongoDB", "Redis", "SQLite", "ODBC", "JDBC", "Kafka", "RabbitMQ",
        "NATS", "FileLog", "ExternalDistributed", "DeltaLake", "Hudi", "Iceberg", "IcebergS3", "GenerateRandom",
        "TimeSeries", "Loop", "FuzzJSON", "KeeperMap", "YTsaurus", "ArrowFlight",
    ]

    /// Whether `name` is the inner table of a materialized view.
    public static func isInnerTable(_ name: String) -> Bool {
        name.hasPrefix(".inner.") || name.hasPrefix(".inner_id.")
    }

    /// Whether the table's own rows are in a backup (what fingerprints count).
    public var holdsRows: Bool { self == .replicated || self == .local }

    /// The kind of table `name` with engine `engine`. `system.tables` lists dictionaries with
    /// engine `Dictionary` (as it does a `Dictionary`-engine table over one: both are definitions).
    public init(engine: String, name: String) {
        if Self.isInnerTable(name) { self = .inner; return }
        switch engine {
        case "Dictionary": self = .dictionary
        case "View", "MaterializedView", "LiveView", "WindowView": self = .view
        case _ where engine.hasPrefix("Replicated") || engine.hasPrefix("SharedMergeTree"): self = .replicated
        case _ where Self.definitionOnlyEngines.contains(engine): self = .definitionOnly
        default: self = .local
        }
    }
}

/// A table as a server lists it: its name and engine.
public struct ServerTable: Hashable, Sendable {
    public let name: TableName
    public let engine: String
    public let kind: TableKind

    public init(name: TableName, engine: String) {
        self.name = name
        self.engine = engine
        self.kind = TableKind(engine: engine, name: name.table)
    }
}
