import BackupClients
import Foundation
import RPCRuntime
import Testing

@Suite struct ClickHouseErrorMapTests {
    /// docs/clickhouse-errors.md, row by row: code → (name, status, remedy).
    func documentedRows() throws -> [Int: (String, String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/clickhouse-errors.md"), encoding: .utf8)
        var rows: [Int: (String, String, String)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.dropFirst(2).dropLast(2).components(separatedBy: " | ")
            guard cells.count == 4, let code = Int(cells[0]) else { continue }
            rows[code] = (cells[1], cells[2], cells[3].replacingOccurrences(of: "\\|", with: "|").trimmingCharacters(in: .whitespaces))
        }
        return rows
    }

    @Test func theDocumentedTableIsTheTableInForce() throws {
        let rows = try documentedRows()
        #expect(Set(rows.keys) == Set(ClickHouseErrorMap.table.keys))
        for (code, entry) in ClickHouseErrorMap.table {
            let row = try #require(rows[code])
            #expect(row.0 == entry.name, "code \(code)")
            #expect(row.1 == entry.status.description, "code \(code)")
            #expect(row.2 == entry.remedy, "code \(code)")
        }
    }

    @Test func everyRestoreAndBackupRefusalIsAStatusTheCallerCanActOn() {
        func status(_ code: Int, _ message: String = "x") -> StatusCode {
            ClickHouseError(host: "h", code: code, name: "", message: message).statusCode
        }
        // Issue 10 item 8: a restore onto a table with another definition was UNKNOWN.
        #expect(status(608, "Cannot restore table db.t: the table has a different definition") == .failedPrecondition)
        #expect(status(607) == .failedPrecondition)
        #expect(status(253) == .failedPrecondition)
        #expect(status(601) == .dataLoss && status(605) == .dataLoss)
        #expect(status(599) == .notFound)
        #expect(status(241) == .resourceExhausted)
        #expect(status(999) == .unavailable && status(663) == .unavailable)
        #expect(status(499, "The specified bucket does not exist (NoSuchBucket)") == .failedPrecondition)
        #expect(status(12345) == .unknown)
    }

    @Test func theRemedyFollowsClickHousesWords() {
        let error = ClickHouseError(host: "h:8123", code: 608, name: "CANNOT_RESTORE_TABLE", message: "Cannot restore table db.t")
        #expect(error.rpcError.code == .failedPrecondition)
        #expect(error.rpcError.message == "ClickHouse h:8123: code 608 CANNOT_RESTORE_TABLE: Cannot restore table db.t; the table exists "
                + "with another definition or holds rows: drop it, or restore under another name (parameters[\"database_mapping\"])")
    }
}

@Suite struct StaleReplicaTests {
    /// Issue 10: a replica path Keeper still holds is FAILED_PRECONDITION naming the table, the
    /// path and the statement that clears it (the message as chdb 26.9 writes it).
    @Test func theLeftoverReplicaIsNamedWithItsRemedy() throws {
        let text = "Code: 253. DB::Exception: Replica /clickhouse/tables/0/rr/r/replicas/chi-demo-main-0-0 already exists: "
            + "While creating table rr.r. (REPLICA_ALREADY_EXISTS) (version 26.9.2.1)"
        let error = try #require(ClickHouseError.parse(text, host: "h:8123"))
        let stale = try #require(error.staleReplica)
        #expect(stale == ClickHouseError.StaleReplica(table: "rr.r", zookeeperPath: "/clickhouse/tables/0/rr/r", replica: "chi-demo-main-0-0"))
        #expect(stale.dropStatement == "SYSTEM DROP REPLICA 'chi-demo-main-0-0' FROM ZKPATH '/clickhouse/tables/0/rr/r'")
        #expect(error.statusCode == .failedPrecondition)
        #expect(error.rpcError.message.hasSuffix("table rr.r: Keeper path /clickhouse/tables/0/rr/r still has replica chi-demo-main-0-0 "
            + "(left by a table dropped without SYNC, or a lost host): run SYSTEM DROP REPLICA 'chi-demo-main-0-0' FROM ZKPATH "
            + "'/clickhouse/tables/0/rr/r' on this host and call again, or call with parameters[\"drop_stale_replicas\"] = \"true\" "
            + "to have the plugin run it"))
        #expect(ClickHouseError(host: "h", code: 253, name: "", message: "something else").staleReplica == nil)
    }
}
