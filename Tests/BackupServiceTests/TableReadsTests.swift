import BackupClients
import BackupDomain
import BackupProtocol
import Testing
@testable import BackupService

/// What a run reads of `system.tables`: never the system databases a backup leaves out (most
/// of every server's tables, and on a busy one the log tables with the most parts), unless
/// the white list names them.
@Suite struct TableReadsTests {
    typealias Cluster = OperationRunTests.Cluster
    static let tables: [(database: String, name: String, engine: String, rows: Int64)] = [
        ("db", "t", "MergeTree", 10), ("system", "query_log", "MergeTree", 5_000_000),
        ("INFORMATION_SCHEMA", "tables", "View", 0), ("information_schema", "tables", "View", 0),
    ]

    func tableReads(_ host: ScriptedClickHouse) -> [String] { host.statements.filter { $0.contains("FROM system.tables") } }

    @Test func aBackupReadsNoSystemDatabase() async throws {
        let cluster = Cluster(tables: Self.tables)
        let result = try await OperationRunTests().backup(cluster.provider())
        #expect(result.metadata["state"] == "Completed")
        for host in cluster.hosts {
            let reads = tableReads(host)
            #expect(reads.count >= 2)  // the state before, the rows after
            #expect(reads.allSatisfy { $0.contains("WHERE NOT is_temporary AND database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')") })
            #expect(host.operations.count == 1 && !host.operations[0].contains("system"))
        }
        // The fingerprints are the selected table's, read as before.
        let manifest = String(decoding: try #require(try await cluster.store.get(OperationRunTests.manifestURL)), as: UTF8.self)
        #expect(manifest.contains(#""table":"t""#) && !manifest.contains("query_log"))
    }

    @Test func aWhiteListNamingASystemTableReadsItsDatabase() async throws {
        let cluster = Cluster(tables: Self.tables)
        let chb = Array(String(decoding: OperationRunTests.chb, as: UTF8.self)
            .replacingOccurrences(of: #"["db.t"]"#, with: #"["db.t", "system.query_log"]"#).utf8)
        let result = try await OperationRunTests().backup(cluster.provider(), chb: chb)
        #expect(result.metadata["state"] == "Completed")
        for host in cluster.hosts {
            #expect(tableReads(host).allSatisfy { $0.contains("database NOT IN ('INFORMATION_SCHEMA', 'information_schema')") })
            #expect(host.operations.count == 1 && host.operations[0].contains("`system`.`query_log`"))
        }
    }

    @Test func aRestoreReadsNoSystemDatabase() async throws {
        let cluster = Cluster(tables: Self.tables)
        _ = try await OperationRunTests().backup(cluster.provider())
        cluster.hosts.forEach { $0.setRows(0, table: "t") }
        let before = cluster.hosts.map(\.statements.count)
        let result = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        #expect(result.metadata["state"] == "Completed" && result.metadata["table.db.t"] == "restored")
        for (host, from) in zip(cluster.hosts, before) {
            let reads = host.statements.dropFirst(from).filter { $0.contains("FROM system.tables") }
            #expect(!reads.isEmpty && reads.allSatisfy { $0.contains("database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')") })
        }
    }

    /// The state reads (not the rows read after a BACKUP, nor the probe's `SELECT 1`).
    func stateReads(_ statements: some Collection<String>) -> Int { statements.filter { $0.hasPrefix("SELECT database AS a,") }.count }

    /// A shard's only replica has nothing to be chosen over: its probe is the read of its
    /// tables that its operation starts with, so its statement follows one round trip after
    /// the call began, not two. Down, it is refused as any replica that does not answer.
    @Test func aShardsOnlyReplicaIsProbedWithTheReadOfItsTables() async throws {
        let cluster = Cluster()
        #expect(try await OperationRunTests().backup(cluster.provider()).metadata["state"] == "Completed")
        for host in cluster.hosts {
            let statements = host.statements
            let backup = try #require(statements.firstIndex { $0.hasPrefix("BACKUP ") })
            #expect(!statements.contains("SELECT 1"))
            #expect(statements.first?.hasPrefix("SELECT database AS a,") == true && stateReads(statements[..<backup]) == 1)
        }
        cluster.hosts.forEach { $0.setRows(0) }
        let before = cluster.hosts.map(\.statements.count)
        let result = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        #expect(result.metadata["state"] == "Completed")
        for (host, from) in zip(cluster.hosts, before) {
            let statements = Array(host.statements.dropFirst(from))
            let restore = try #require(statements.firstIndex { $0.hasPrefix("RESTORE ") })
            #expect(!statements.contains("SELECT 1") && stateReads(statements[..<restore]) == 1)
        }
    }

    /// A host restoring two backup shards (merged by shard_mapping) reads its tables again
    /// before the second: the probe's read is the first one's only.
    @Test func aHostsSecondRestoreReadsItsTablesAgain() async throws {
        let cluster = Cluster()
        #expect(try await OperationRunTests().backup(cluster.provider()).metadata["state"] == "Completed")
        let host = cluster.hosts[0]
        host.setRows(0)
        let before = host.statements.count
        let oneShard = Array(String(decoding: OperationRunTests.chi, as: UTF8.self).replacingOccurrences(of: #""shardsCount":2"#, with: #""shardsCount":1"#).utf8)
        let result = try await cluster.provider().restore(RestoreRequest(chiDefinition: oneShard, backupDefinition: OperationRunTests.chb,
                                                                         parameters: ["shard_mapping": "0:0,1:0"]))
        #expect(result.metadata["state"] == "Completed")
        let statements = Array(host.statements.dropFirst(before))
        let restores = statements.indices.filter { statements[$0].hasPrefix("RESTORE ") }
        #expect(restores.count == 2)
        #expect(!statements.contains("SELECT 1") && stateReads(statements[..<restores[0]]) == 1)
        #expect(stateReads(statements[restores[0]..<restores[1]]) >= 1)
    }

    /// `RESTORE TABLE` needs its target database: created first, unless the state read just
    /// saw tables there (a dropped table restored into its own database: one round trip fewer).
    @Test func aRestoreOfTablesCreatesOnlyTheDatabasesTheHostLacks() async throws {
        let cluster = Cluster(tables: [("db", "t", "MergeTree", 10), ("db", "u", "MergeTree", 3)])
        #expect(try await OperationRunTests().backup(cluster.provider()).metadata["state"] == "Completed")
        cluster.hosts.forEach { $0.setRows(0, table: "t") }
        func restore(_ parameters: [String: String]) async throws -> [[String]] {
            let before = cluster.hosts.map(\.statements.count)
            let result = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi,
                                                                             backupDefinition: OperationRunTests.chb, parameters: parameters))
            #expect(result.metadata["state"] == "Completed")
            #expect(result.metadata.contains { $0.key.hasPrefix("table.") && $0.key.hasSuffix(".t") && $0.value == "restored" })
            return zip(cluster.hosts, before).map { host, from in Array(host.statements.dropFirst(from)) }
        }
        for statements in try await restore([:]) {
            #expect(statements.contains { $0.hasPrefix("RESTORE TABLE `db`.`t` FROM") })
            #expect(!statements.contains { $0.hasPrefix("CREATE DATABASE") })
        }
        for statements in try await restore(["database_mapping": "db:fresh"]) {
            let restore = try #require(statements.firstIndex { $0.hasPrefix("RESTORE TABLE `db`.`t` AS `fresh`.`t`") })
            #expect(statements[..<restore].filter { $0.hasPrefix("CREATE DATABASE") } == ["CREATE DATABASE IF NOT EXISTS `fresh`"])
        }
    }
}
