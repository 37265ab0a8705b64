import Testing
@testable import BackupDomain

@Suite struct TableKindTests {
    @Test func enginesAreClassifiedAsABackupSeesThem() {
        #expect(TableKind(engine: "ReplicatedMergeTree", name: "t") == .replicated)
        #expect(TableKind(engine: "ReplicatedReplacingMergeTree", name: "t") == .replicated)
        for engine in ["MergeTree", "SummingMergeTree", "AggregatingMergeTree", "Log", "TinyLog", "StripeLog", "Memory", "Set", "Join"] {
            #expect(TableKind(engine: engine, name: "t") == .local, "\(engine)")
        }
        for engine in ["Distributed", "Merge", "Buffer", "Null", "URL", "S3", "MySQL", "PostgreSQL", "Kafka"] {
            #expect(TableKind(engine: engine, name: "t") == .definitionOnly, "\(engine)")
        }
        #expect(TableKind(engine: "View", name: "v") == .view && TableKind(engine: "MaterializedView", name: "mv") == .view)
        #expect(TableKind(engine: "Dictionary", name: "d") == .dictionary)
        #expect(TableKind(engine: "MergeTree", name: ".inner_id.553eaab6-9ce6-47b6-a9fe-1ee386a7bdec") == .inner)
        #expect(TableKind(engine: "MergeTree", name: ".inner.mv") == .inner)
    }

    /// Issue 10 item 2: `eng.*` as a glob listed the view's inner table, and ClickHouse refuses
    /// BACKUP TABLE of it (UNKNOWN_TABLE).
    @Test func innerTablesAreNeverSelectedByName() throws {
        let tables = [ServerTable(name: TableName(database: "eng", table: ".inner_id.1234"), engine: "MergeTree"),
                      ServerTable(name: TableName(database: "eng", table: "mv"), engine: "MaterializedView"),
                      ServerTable(name: TableName(database: "eng", table: "src"), engine: "MergeTree")]
        for white in ["eng.*", "*", "e?g.*", "eng.`.inner_id.1234`"] {
            let filter = TableFilter(whiteList: [try TablePattern(parsing: white)])
            #expect(!filter.select(from: tables).contains { $0.kind == .inner }, "\(white)")
        }
        #expect(TableFilter().select(from: tables).map(\.name.table) == ["mv", "src"])
    }
}
