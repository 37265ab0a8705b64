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
