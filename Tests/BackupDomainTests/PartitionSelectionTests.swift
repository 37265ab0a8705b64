import Testing
@testable import BackupDomain

/// `parameters["partitions"]`: parsing, what reaches the SQL, the statement's elements, and
/// what a backup of some partitions is to chains and retention.
@Suite struct PartitionSelectionTests {
    let events = TableName(database: "db", table: "events"), logs = TableName(database: "db", table: "logs")

    @Test func entriesAndValuesAreReRenderedFromTheirParts() throws {
        let selection = try PartitionSelection(parsing: "db.events:202611, '2026-12' ;db.logs:tuple();`o;dd`.`t:x`:('eu', 2026),2026-11-01, -3")
        #expect(selection.partitions(of: events)?.map(\.sql) == ["202611", "'2026-12'"])
        #expect(selection.partitions(of: logs)?.map(\.sql) == ["tuple()"])
        #expect(selection.partitions(of: TableName(database: "o;dd", table: "t:x"))?.map(\.sql) == ["('eu', 2026)", "'2026-11-01'", "-3"])
        #expect(selection.partitions(of: TableName(database: "db", table: "other")) == nil)
        #expect(selection.partitions(of: events)?.map(\.partitionValueSQL) == ["tuple(202611)", "tuple('2026-12')"])
        #expect(selection.partitions(of: logs)?.first?.partitionValueSQL == nil)
        // The canonical text reads back the same.
        #expect(try PartitionSelection(parsing: selection.description) == selection)
        // A quote inside a string stays a string: escaped on the way out.
        #expect(try PartitionSelection(parsing: #"db.t:'it''s', 'a\'b'"#).entries[0].partitions.map(\.sql) == [#"'it\'s'"#, #"'a\'b'"#])
    }

    @Test func anythingButValuesIsRefused() {
        for (text, words) in [("db.t", "must be db.table:partition"), ("db.t:", "empty partition"), ("", "names no table"),
                              ("db.t:1); DROP TABLE x; --", "must be a number"), ("db.t:'a' || 'b'", "not one quoted string"),
                              ("db.t:(1, (2))", "must be a number"), ("db.t:(1", "not a tuple"), ("db:1", "must be db.table")] {
            #expect(throws: PatternError.self, "\(text)") { try PartitionSelection(parsing: text) }
            do { _ = try PartitionSelection(parsing: text) } catch { #expect(error.message.contains(words), "\(text): \(error.message)") }
        }
    }

    @Test func theParameterIsValidatedWithItsPath() {
        let log = IssueLog()
        let parameters = OperationParameters.parse(["partitions": "db.events:202611"], for: .restore, log: log)
        #expect(log.issues.isEmpty && parameters.partitions?.entries.count == 1)
        let refused = IssueLog()
        _ = OperationParameters.parse(["partitions": "db.events:202611", "type": "incremental"], for: .backup, log: refused)
        #expect(refused.issues.map(\.path) == [#"parameters["partitions"]"#])
        let bad = IssueLog()
        _ = OperationParameters.parse(["partitions": "nonsense"], for: .backup, log: bad)
        #expect(bad.issues.first?.problem.contains("db.table:partition") == true)
    }

    @Test func tablesWithPartitionsAreNamedFirstAndLeftOutOfWholeElements() throws {
        let selection = try PartitionSelection(parsing: "db.events:202611,202612;other.*:tuple()")
        let destination = BackupDestination.disk(name: "b", path: "x/")
        let database = BackupStatement(verb: .backup, elements: [.database("db"), .table(TableName(database: "z", table: "t"))], destination: destination)
        #expect(database.selectingPartitions(selection, of: [events, logs], databases: ["db", "z"]).redacted
                == "BACKUP TABLE `db`.`events` PARTITIONS 202611, 202612, TABLE `z`.`t`, DATABASE `db` EXCEPT TABLES `db`.`events` TO Disk('b', 'x/') ASYNC")
        // ALL cannot follow a PARTITIONS list: it becomes the host's databases.
        let all = BackupStatement(verb: .backup, elements: [.all(exceptDatabases: ["system"])], destination: destination)
        #expect(all.selectingPartitions(selection, of: [events, logs], databases: ["db", "system", "z"]).redacted
                == "BACKUP TABLE `db`.`events` PARTITIONS 202611, 202612, DATABASE `db` EXCEPT TABLES `db`.`events`, DATABASE `z` TO Disk('b', 'x/') ASYNC")
        // A restore renames the table with its database, before the partitions.
        let restore = BackupStatement(verb: .restore, elements: [.database("db", renamedTo: "copy")], destination: destination)
        #expect(restore.selectingPartitions(selection, of: [events], databases: ["db"]).redacted
                == "RESTORE TABLE `db`.`events` AS `copy`.`events` PARTITIONS 202611, 202612, DATABASE `db` AS `copy` EXCEPT TABLES `db`.`events` FROM Disk('b', 'x/') ASYNC")
        // No table selected: the statement as it was.
        #expect(database.selectingPartitions(selection, of: [logs], databases: ["db"]) == database)
    }

    @Test func aBackupOfSomePartitionsIsNeverABaseAndIsKeptAmongItsKind() throws {
        func record(_ name: String, _ at: Int64, partial: Bool = false) -> BackupRecord {
            var record = BackupRecord(name: name, id: name, state: .completed, kind: .full, base: nil, startedAt: at, stoppedAt: at + 1,
                                      totalSize: 1, shards: 1, location: "s3://b/\(name)/")
            if partial { record.partitions = "db.events:202611" }
            return record
        }
        let records = [record("whole-1", 100), record("whole-2", 200), record("part-1", 300, partial: true), record("part-2", 400, partial: true)]
        guard case .incremental(let base, _) = try BackupChains.choose(.auto, records: records, shards: 1, now: 500, fullInterval: 10_000) else {
            Issue.record("expected an incremental on the newest whole backup")
            return
        }
        #expect(base.name == "whole-2")
        // keep_full_chains=1: the newest whole chain and the newest partial backup, not two partial ones.
        let decision = Retention.decide(records, RetentionRules(keepFullChains: 1), now: 500)
        #expect(decision.delete.map(\.name) == ["part-1", "whole-1"])
        #expect(decision.reasons["part-2"]?.hasSuffix("(among backups of some partitions)") == true)
        #expect(decision.reasons["whole-2"]?.contains("newest chain") == true)
    }
}
