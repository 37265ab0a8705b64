import BackupClients
import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import RPCRuntime

/// One host's BACKUP or RESTORE: list its tables, build the statement, start it ASYNC with
/// its deterministic id, and follow it in system.backups to a terminal status.
struct HostOperation: Sendable {
    let planned: PlannedHost
    let verb: BackupStatement.Verb
    let client: any ClickHouseSession
    let filter: TableFilter
    let renames: [String: String]
    /// The destination with secrets resolved (the plan holds references only).
    var destination: BackupDestination
    let environment: ExecutionEnvironment
    let cancelOnAbort: Bool
    /// Restore: clear a replica Keeper still holds (REPLICA_ALREADY_EXISTS) and try again.
    var dropStaleReplicas = false
    /// Restore: the tables the manifest records for this host's part (nil: no manifest).
    let tablesFromManifest: [ServerTable]?
    /// Restore: the databases the backup holds whole, with their definitions.
    var databasesFromManifest: Set<String> = []
    /// Restore: what the backup recorded of each table (a table already holding exactly that
    /// is left as it is; one holding something else is reported, never appended to).
    var fingerprintsFromManifest: [TableName: TableFingerprint] = [:]
    /// An incremental backup's base, with secrets resolved.
    var baseBackup: BackupDestination? = nil
    var tracker: OperationTracker? = nil
    /// Awaited after the host has decided and before it starts a statement (a backup's lock
    /// and first manifest are written meanwhile); throws when the run must not start.
    var beforeStart: (@Sendable () async throws -> Void)? = nil
    /// No process ever sent this host's statement (a backup that had no manifest): its
    /// attempts need not be looked up.
    var noEarlierAttempts = false
    /// Restore: when no target table holds rows, the first attempt is sent without looking up
    /// earlier ones, and ClickHouse's refusal of a known id (``AttemptTaken``) makes the host
    /// decide again, knowing them. Nothing is lost by guessing: with empty targets, an earlier
    /// attempt that ended is no reason not to restore, and one still running refuses the id.
    var guessesFirstAttempt = false
    /// This host's tables as its replica probe read them (nil: the probe sent `SELECT 1`).
    var earlyTables: EarlyTables? = nil
    /// Backup: what is recorded of each table's content.
    var fingerprintMode = TableFingerprint.Mode.rows
    /// Only these partitions of the tables they name (the request's, or for a restore those
    /// its backup took).
    var partitions: PartitionSelection? = nil
    /// The `system` tables of access entities and functions that go with the tables (every
    /// part but a replica's own copy: each server keeps its own).
    var systemElements: [BackupElement] = []
    /// Restore: the partitions its backup took (nil: whole tables).
    var partitionsFromManifest: PartitionSelection? = nil
    /// Restore: the size of this part as its backup recorded it (nil: unknown).
    var restoreBytesFromManifest: Int64? = nil
    /// Restore: the four sizes ClickHouse reported for this part's BACKUP, which its RESTORE
    /// reports again (an inline restore that succeeded needs no read of system.backups).
    var sizesFromManifest: BackupManifest.PartSizes? = nil
    /// The destination's bucket, when the plugin holds its credentials: an inline backup's
    /// sizes are read from the `.backup` file it wrote (``createdInline(_:id:)``).
    var bucket: (any ObjectStore)? = nil

    struct Outcome: Sendable {
        var planned: PlannedHost
        var status: BackupStatus
        var error: String?
        var tables: [ServerTable]
        /// The ClickHouse id of the attempt that ran (the planned id, or `-aN` for a retry).
        var clickHouseID: String
        /// Restore: tables an earlier call of this restore filled, left as they are.
        var alreadyPresent: [TableName] = []
        /// Restore: tables that hold other rows than the backup's, left as they are and not restored.
        var conflicts: [TableConflict] = []
        /// Backup: the databases written whole, with their definitions (a restore can give them back).
        var wholeDatabases: [String] = []
        var numFiles: Int64 = 0
        var totalSize: Int64 = 0
        var compressedSize: Int64 = 0
        var uncompressedSize: Int64 = 0
        /// Backup: what each table held.
        var fingerprints: [TableFingerprint] = []
        /// True when the operation was already known to ClickHouse (a retried call).
        var reused = false
        /// Backup: each table's rows, read with the terminal status (inline statements), or nil.
        var rowsAfter: [TableName: Int64]?
    }


    /// Starts this host's operation, or follows the attempt an earlier call started; a failed
    /// or cancelled attempt is tried again under a new ClickHouse id (ClickHouse keeps the old
    /// one in system.backups and refuses its id a second time).
    func run() async throws -> Outcome {
        var cleared: [String] = []
        while true {
            let outcome = try await runOnce()
            // A replica left in Keeper refuses the RESTORE; with drop_stale_replicas it is
            // cleared (each path once) and the restore tried again as the next attempt.
            guard dropStaleReplicas, verb == .restore, !outcome.status.succeeded, let error = outcome.error,
                  let stale = ClickHouseError.parse(error, host: client.endpoint.description)?.staleReplica,
                  !cleared.contains(stale.dropStatement), cleared.count < 100 else { return outcome }
            cleared.append(stale.dropStatement)
            _ = try await client.run(stale.dropStatement, timeout: .seconds(60))
        }
    }

    /// What this host does next, decided from its tables, its attempts in system.backups and
    /// (restore) the target tables' rows. A dry run shows it; a run carries it out.
    enum Decision {
        /// Nothing to do (a replica with no table that is not replicated).
        case nothing(Outcome)
        /// An attempt that is this operation already: follow it.
        case follow(id: String, tables: [ServerTable], alreadyPresent: [TableName], conflicts: [TableConflict] = [])
        /// Start `statement` as attempt `id`. `databases`: those the state read found tables in.
        case start(BackupStatement, id: String, tables: [ServerTable], alreadyPresent: [TableName], conflicts: [TableConflict],
                   rowsBefore: [TableName: Int64], databases: Set<String>)
    }

    /// - Parameter knowingAttempts: look the attempts up even where ``guessesFirstAttempt`` would not.
    func decide(knowingAttempts: Bool = false) async throws -> Decision {
        let guessing = guessesFirstAttempt && !knowingAttempts
        var state = try await readState(withAttempts: !noEarlierAttempts && !guessing)
        let available = verb == .restore ? tablesFromManifest ?? [] : state.tables
        let tables = selected(from: available)
        if planned.role == .local, tables.isEmpty {
            return .nothing(Outcome(planned: planned, status: .noLocalTables, error: nil, tables: [], clickHouseID: planned.operationID))
        }
        // Rows in a target: whether an earlier attempt put them there decides what is restored,
        // so the state is read again, attempts first (``readState(withAttempts:)`` says why).
        if guessing, !heldTargets(tables, rows: state.rows).isEmpty { state = try await readState(withAttempts: true) }
        let latest = state.attempts.last
        if let latest, !latest.status.isTerminal || (verb == .backup && latest.status.succeeded) {
            return .follow(id: latest.id, tables: tables, alreadyPresent: [])  // a retried call: that attempt is this operation
        }
        var statement = try plannedStatement(tables, available: available)
        var alreadyPresent: [TableName] = [], conflicts: [TableConflict] = []
        let view = try await partitionView(of: tables, state)
        if verb == .restore, planned.role != .schema {
            let hashes = try await view.judge.targetHashes(tables, rows: view.state.rows)
            switch try view.judge.restoreScope(tables, earlierSucceeded: latest?.status.succeeded ?? false, rows: view.state.rows, hashes: hashes) {
            case .all: break
            case .only(let missing, let present, let conflicting):
                (alreadyPresent, conflicts) = (present, conflicting)
                guard !missing.isEmpty else {
                    // Nothing is missing: the attempt that restored it is the answer, or there was none.
                    if let latest, latest.status.succeeded {
                        return .follow(id: latest.id, tables: tables, alreadyPresent: present, conflicts: conflicting)
                    }
                    var outcome = Outcome(planned: planned, status: .restored, error: nil, tables: tables, clickHouseID: planned.operationID)
                    (outcome.alreadyPresent, outcome.conflicts) = (present, conflicting)
                    return .nothing(outcome)
                }
                statement = planned.statement(verb: verb, elements: missing.map { .table($0.name, renamedTo: $0.target) })
            }
        }
        if let partitions {
            statement = statement.selectingPartitions(partitions, of: tables.filter(\.kind.holdsRows).map(\.name),
                                                      databases: Array(Set(available.map(\.name.database))).sorted())
            if view.appendsToTables, !statement.settings.contains(where: { $0.name == "allow_non_empty_tables" }) {
                statement.settings.append(("allow_non_empty_tables", .bool(true)))  // into tables holding other partitions only
            }
        }
        if planned.role != .local, !systemElements.isEmpty {
            statement.elements = systemElements + statement.elements  // first: an EXCEPT list would read them as its own
        }
        let id = attemptID((latest?.number ?? 0) + 1)
        statement.settings = statement.settings.map { $0.name == "id" ? ("id", .string(id)) : $0 }
        statement.destination = destination
        statement.baseBackup = baseBackup
        // Decided here, so that a dry run shows the statement exactly as a run sends it.
        statement.async = !awaitsInline(statement, bytes: expectedBytes(of: tables, state: state))
        return .start(statement, id: id, tables: tables, alreadyPresent: alreadyPresent, conflicts: conflicts, rowsBefore: view.state.counted,
                      databases: Set(state.tables.map(\.name.database)))
    }

    private func runOnce(knowingAttempts: Bool = false) async throws -> Outcome {
        switch try await decide(knowingAttempts: knowingAttempts) {
        case .nothing(let outcome):
            return outcome
        case .follow(let id, let tables, let present, let conflicts):
            var outcome = try await followed(id, tables: tables)
            (outcome.alreadyPresent, outcome.conflicts) = (present, conflicts)
            return outcome
        case .start(let statement, let id, let tables, let present, let conflicts, let rowsBefore, let databases):
            try await beforeStart?()
            var outcome: Outcome
            do {
                outcome = try await start(statement, id: id, guessed: guessesFirstAttempt && !knowingAttempts, existing: databases)
            } catch is AttemptTaken {
                return try await runOnce(knowingAttempts: true)
            }
            outcome.tables = tables
            (outcome.alreadyPresent, outcome.conflicts) = (present, conflicts)
            if verb == .backup {
                outcome.wholeDatabases = ElementWriter.wholeDatabases(of: statement.elements, tables: tables.map(\.name))
                if outcome.status.succeeded { outcome.fingerprints = try await fingerprints(of: tables, rowsBefore: rowsBefore, rowsAfter: outcome.rowsAfter) }
            }
            return outcome
        }
    }

    /// Sends `statement` (a restore creates the databases of its table elements first) and
    /// follows it to its end: ASYNC and polled, or, when it is small (``awaitsInline``, decided
    /// with the statement), awaited on its connection and read once (from system.backups, or
    /// from what the backup wrote or recorded: ``createdInline(_:id:)``, ``restoredInline(_:id:)``).
    /// `guessed`: the id was not looked up (``guessesFirstAttempt``); ClickHouse's refusal of
    /// it is ``AttemptTaken``. `existing`: databases known to exist (they hold tables).
    private func start(_ statement: BackupStatement, id: String, guessed: Bool = false, existing: Set<String> = []) async throws -> Outcome {
        if verb == .restore { try await createTableOnlyDatabases(statement, except: existing) }
        let inline = !statement.async
        var reused = false
        var answer: String?
        do {
            let sql = try statement.executable()
            if inline {
                let status: BackupStatus = verb == .backup ? .creatingBackup : .restoring
                tracker?.progress(planned, status: status.rawValue, numFiles: 0, totalSize: 0, error: nil)
            }
            answer = try await client.run(sql, settings: Self.settings(forStatementOfBytes: sql.utf8.count),
                                          timeout: inline ? environment.poll.inlineTimeout : .seconds(60))
        } catch let error as ClickHouseError where error.code == 36 && error.message.contains("same ID") {
            if guessed { throw AttemptTaken() }
            reused = true  // another call started this attempt a moment ago: follow it
            try await checkSameDestination(statement.destination, id: id)
        } catch where Task.isCancelled {
            // Cancelled while the statement was on its way: it may have started all the same.
            if cancelOnAbort || tracker?.cancelRequested == true { await cancelOperation(id) }
            throw CancellationError()
        } catch let error as ClickHouseError where inline && error.code != 0 {
            // It ended in a failure: registered (system.backups has it, as an ASYNC one's) or
            // refused before it started (bad SQL, a missing table), as ASYNC would have been.
            guard try await hasRecord(id) else { throw error }
        } catch where inline {
            // The answer was lost (timeout, connection): the statement may still run.
            return try await follow(id: id, mustExist: true, grace: .seconds(30))
        }
        // An inline statement that answered its success may need no read of system.backups.
        if inline, let answer {
            if let restored = restoredInline(answer, id: id) { return restored }
            if let created = try await createdInline(answer, id: id) { return created }
        }
        // The read that sees a backup's end also reads the rows after it (an inline one's first).
        var outcome = try await follow(id: id, readingRows: !reused && verb == .backup && fingerprintMode != .none, ended: inline)
        outcome.reused = reused
        return outcome
    }

    /// The statement for `tables`, resolved against what the source has (`available`) by
    /// ``ElementWriter``. The plan's own statement stands when it names no table, or names one
    /// the source lacks (ClickHouse then says which), or (restore) the backup holds no
    /// database whole; otherwise its `TABLE` elements are resolved too, so that a database
    /// named table by table is backed up with its definition and comes back with it.
    private func plannedStatement(_ tables: [ServerTable], available: [ServerTable]) throws -> BackupStatement {
        let names = tables.map(\.name)
        if let statement = planned.statement {
            let present = Set(names)
            guard verb == .backup || !databasesFromManifest.isEmpty, statement.elements.contains(where: \.isTable),
                  statement.elements.allSatisfy({ $0.tableName.map(present.contains) ?? true }) else { return statement }
        } else if tables.isEmpty {
            throw DomainError(.notFound, "\(client.endpoint): no table matches \(filter.whiteList.map(\.source).joined(separator: ", "))")
        }
        // A replica's own copy names its tables: a DATABASE element would take the replicated ones too.
        let whole: Set<String>? = planned.role == .local ? [] : (verb == .restore ? databasesFromManifest : nil)
        return planned.statement(verb: verb, elements: ElementWriter.elements(selected: names, available: available.map(\.name),
                                                                              wholeDatabases: whole, renames: renames,
                                                                              preferWhole: verb == .restore))
    }

    /// Where a backup's table is restored: renamed by `database_mapping`, or nil for the same name.
    func target(of name: TableName) -> TableName? {
        renames[name.database].map { TableName(database: $0, table: name.table) }
    }

    private func followed(_ id: String, tables: [ServerTable]) async throws -> Outcome {
        var outcome = try await follow(id: id)
        outcome.tables = tables
        outcome.reused = true
        return outcome
    }

    /// A statement longer than ClickHouse's default `max_query_size` (256 KiB: a few thousand
    /// long table names) raises it for that query. The HTTP interface reads settings from the
    /// URL before it parses the query, so the setting applies to the statement it travels with.
    static func settings(forStatementOfBytes size: Int) -> [String: String] {
        size < 200_000 ? [:] : ["max_query_size": String(size + 65_536)]
    }

    /// Follows an operation started by an earlier call (or an earlier plugin process) without
    /// starting anything. A host that no longer knows the id (ClickHouse restarted) fails it,
    /// after `grace` when the operation may still be starting (its manifest is fresh).
    func attach(tables: [ServerTable], grace: Duration = .zero) async throws -> Outcome {
        let id = try await attempts().last?.id ?? planned.operationID
        var outcome = try await follow(id: id, mustExist: true, grace: grace)
        outcome.tables = tables
        outcome.reused = true
        return outcome
    }

    /// An id ClickHouse already knows must be this backup's, written where this one writes:
    /// following another operation would report its result as ours.
    private func checkSameDestination(_ destination: BackupDestination, id: String) async throws {
        let expected: String
        switch destination {
        case .s3(let url, _, _): expected = SQLQuoting.string(url)
        case .disk(let name, let path): expected = "\(SQLQuoting.string(name)), \(SQLQuoting.string(path))"
        }
        let rows = try await client.select("SELECT name FROM system.backups WHERE id = \(SQLQuoting.string(id))", timeout: .seconds(30))
        guard case .string(let name)? = rows.first?["name"], !name.contains(expected) else { return }
        throw DomainError(.alreadyExists, "\(client.endpoint): ClickHouse id \(id) belongs to another operation (\(name)), "
                       + "not to \(planned.location)")
    }

    /// `RESTORE TABLE db.t` needs `db` to exist (only `RESTORE DATABASE` creates one), so the
    /// databases of table elements are created first, with the server's default engine;
    /// not those the state read just saw tables in (`existing`: a round trip fewer before the
    /// statement, as when a dropped table comes back into its own database).
    private func createTableOnlyDatabases(_ statement: BackupStatement, except existing: Set<String>) async throws {
        var databases: [String] = []
        for element in statement.elements {
            if case .table(let name, let renamed) = element {
                let database = renamed?.database ?? name.database
                if !databases.contains(database), !existing.contains(database) { databases.append(database) }
            }
        }
        for database in databases {
            _ = try await client.run("CREATE DATABASE IF NOT EXISTS \(SQLQuoting.identifier(database))", timeout: .seconds(30))
        }
    }

    /// Of `available`, what the CHB's lists select; a replica's own copy holds only what the
    /// shard's data does not: tables that are not replicated.
    private func selected(from available: [ServerTable]) -> [ServerTable] {
        let tables = filter.select(from: available)
        return verb == .backup && planned.role == .local ? tables.filter { $0.kind == .local } : tables
    }

    /// The tables this host has that the filter selects.
    func listSelectedTables() async throws -> [ServerTable] { filter.select(from: try await listTables()) }

    private func listTables() async throws -> [ServerTable] {
        let rows = try await client.select("SELECT database, name, engine FROM system.tables WHERE \(tablesCondition) ORDER BY database, name",
                                         timeout: .seconds(30))
        return rows.compactMap { row -> ServerTable? in
            guard case .string(let database)? = row["database"], case .string(let name)? = row["name"],
                  case .string(let engine)? = row["engine"] else { return nil }
            return ServerTable(name: TableName(database: database, table: name), engine: engine)
        }
    }

    /// The outcome a `system.backups` row says.
    func outcome(_ row: JSONValue, status: BackupStatus, id: String) -> Outcome {
        func number(_ key: String) -> Int64 {
            switch row[key] {
            case .number(let text)?, .string(let text)?: return Int64(text) ?? 0
            default: return 0
            }
        }
        var error: String?
        if case .string(let text)? = row["error"], !text.isEmpty {
            // The stack trace ClickHouse appends is for its developers, not for the operator.
            error = text.components(separatedBy: ", Stack trace").first?.trimmingSpaces
        }
        return Outcome(planned: planned, status: status, error: error, tables: [], clickHouseID: id, numFiles: number("num_files"),
                       totalSize: number("total_size"), compressedSize: number("compressed_size"),
                       uncompressedSize: number("uncompressed_size"))
    }
}
