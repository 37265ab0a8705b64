import BackupClients
import BackupDomain
import PluginSupport

/// A gate tests open to let something go on: ordering by latches, not sleeps.
final class Gate: Sendable {
    private let state = LockedState<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    /// Waits as a caller on a connection does: a cancelled task stops waiting, as curl aborts
    /// its transfer.
    func waitUnlessCancelled() async throws {
        while !isOpen { try await Task.sleep(for: .milliseconds(1)) }
    }
}

/// One ClickHouse server as execution sees it, scripted: its tables, and `system.backups`
/// as BACKUP/RESTORE statements fill it. What a statement does when it arrives is the test's
/// choice: finish, fail with ClickHouse's words, or stay in progress until a gate opens.
/// Every statement is recorded, in order.
final class ScriptedClickHouse: ClickHouseSession, Sendable {
    enum Behaviour: Sendable {
        case succeed
        case fail(String)
        /// In progress until the gate opens, then done.
        case hold(Gate)
    }

    struct Operation: Sendable {
        var status: BackupStatus
        var error: String
        var name: String
        let behaviour: Behaviour
    }

    let endpoint: ClickHouseEndpoint
    private struct State {
        var tables: [(database: String, name: String, engine: String, rows: Int64)]
        var backups: [String: Operation] = [:]
        var statements: [String] = []
        var behaviour: Behaviour = .succeed
        /// What `system.tables.total_bytes` says of every table (nil: the engine does not say).
        var bytes: Int64?
        /// A statement sent without ASYNC runs, but its answer is lost (a timeout).
        var loseAnswers = false
        /// `system.processes` is refused (a user without the grant).
        var refuseProcesses = false
        /// Nothing answers (``goDown()``).
        var down = false
        /// Where a backup's `.backup` file is written when it ends, as ClickHouse writes one.
        var bucket: MemoryObjectStore?
        /// Where an ASYNC backup's `.backup` file is written when it ends (before its status says so).
        var asyncBucket: MemoryObjectStore?
        /// Status reads still to answer "in progress" after an operation's end (``lagStatus(reads:)``).
        var statusLag = 0
    }
    private let state: LockedState<State>
    /// Opened when the first BACKUP or RESTORE arrives.
    let started = Gate()
    /// Opened when a run first reads this host's state (tables, rows, attempts).
    let stateRead = Gate()

    init(host: String, tables: [(database: String, name: String, engine: String, rows: Int64)]) {
        endpoint = ClickHouseEndpoint(host: host, port: 8123, secure: false)
        state = LockedState(State(tables: tables))
    }

    /// Sets every table's row count (what `system.tables.total_rows` says).
    func setRows(_ rows: Int64) { state.withLock { $0.tables = $0.tables.map { ($0.database, $0.name, $0.engine, rows) } } }

    /// Sets one table's row count.
    func setRows(_ rows: Int64, table: String) {
        state.withLock { $0.tables = $0.tables.map { ($0.database, $0.name, $0.engine, $0.name == table ? rows : $0.rows) } }
    }

    /// Sets every table's size on disk (`system.tables.total_bytes`).
    func setBytes(_ bytes: Int64?) { state.withLock { $0.bytes = bytes } }

    /// Statements sent without ASYNC run, and their answers are lost.
    func loseAnswers() { state.withLock { $0.loseAnswers = true } }

    /// Each BACKUP that ends writes a `.backup` file into `bucket` (``backupFile``).
    func writeBackupFiles(to bucket: MemoryObjectStore) { state.withLock { $0.bucket = bucket } }

    /// Each ASYNC BACKUP that succeeds writes its `.backup` file into `bucket`: at once, or
    /// when its gate opens (``OperationRunTests/Cluster`` sets it, as every server does it).
    func writeAsyncBackupFiles(to bucket: MemoryObjectStore) { state.withLock { $0.asyncBucket = bucket } }

    /// The `.backup` file a scripted BACKUP writes: two files, one of them a copy of the other
    /// (4 files by ClickHouse's count, 30 bytes in all; the folder holds 10 and the file itself).
    static let backupFile = Array(("<config><version>1</version><contents>"
        + "<file><name>data/db/t/all_1_1_0/data.bin</name><size>10</size><checksum>a</checksum></file>"
        + "<file><name>data/db/t/all_2_2_0/data.bin</name><size>10</size><checksum>a</checksum><data_file>data/db/t/all_1_1_0/data.bin</data_file></file>"
        + "<file><name>metadata/db/t.sql</name><size>10</size><checksum>b</checksum><use_base>true</use_base></file>"
        + "<file><name>data/db/t/all_3_3_0/count.txt</name><size>0</size></file>"
        + "</contents></config>").utf8)

    /// The next `reads` status reads that would see an ASYNC operation's end still say it runs:
    /// ClickHouse writes a backup's `.backup` file a moment before its status says so.
    func lagStatus(reads: Int) { state.withLock { $0.statusLag = reads } }

    /// Every operation still running fails now with `error` (its status says so at the next read).
    func failRunning(_ error: String) {
        state.withLock { state in
            for (id, operation) in state.backups where !operation.status.isTerminal {
                state.backups[id]?.status = operation.status == .creatingBackup ? .backupFailed : .restoreFailed
                state.backups[id]?.error = error
            }
        }
    }

    /// Reads of `system.processes` are refused, as for a restricted user.
    func refuseProcesses() { state.withLock { $0.refuseProcesses = true } }

    /// What the next BACKUP or RESTORE does.
    func setBehaviour(_ behaviour: Behaviour) { state.withLock { $0.behaviour = behaviour } }

    var statements: [String] { state.withLock { $0.statements } }
    /// The BACKUP and RESTORE statements received.
    var operations: [String] { statements.filter { $0.hasPrefix("BACKUP ") || $0.hasPrefix("RESTORE ") } }
    func status(_ id: String) -> BackupStatus? { state.withLock { $0.backups[id]?.status } }

    /// Every statement fails as a server that cannot be reached does (UNAVAILABLE).
    func goDown() { state.withLock { $0.down = true } }

    private func refuseWhenDown() throws {
        if state.withLock({ $0.down }) { throw Failure(.unavailable, "\(endpoint): Couldn't connect to server") }
    }

    func run(_ sql: String, settings: [String: String], timeout: Duration?) async throws -> String {
        try refuseWhenDown()
        let id = Self.quoted(after: "id = ", in: sql)
        try state.withLock { state in
            state.statements.append(sql)
            if sql.hasPrefix("BACKUP ") || sql.hasPrefix("RESTORE "), let id {
                if state.backups[id] != nil {
                    throw ClickHouseError(host: endpoint.description, code: 36, name: "BAD_ARGUMENTS",
                                          message: "Backup \(id) already exists: an operation with the same ID is running")
                }
                let verb = sql.hasPrefix("BACKUP ")
                state.backups[id] = Operation(status: verb ? .creatingBackup : .restoring, error: "",
                                              name: Self.quoted(after: "TO S3(", in: sql) ?? Self.quoted(after: "FROM S3(", in: sql) ?? "",
                                              behaviour: state.behaviour)
            } else if sql.hasPrefix("KILL QUERY") {
                for (key, operation) in state.backups where !operation.status.isTerminal {
                    state.backups[key]?.status = operation.status == .creatingBackup ? .backupCancelled : .restoreCancelled
                }
            }
        }
        if sql.hasPrefix("BACKUP ") || sql.hasPrefix("RESTORE "), let id {
            started.open()
            if sql.hasPrefix("BACKUP "), sql.hasSuffix(" ASYNC"), let (bucket, operation) = state.withLock({ state in
                state.asyncBucket.flatMap { bucket in state.backups[id].map { (bucket, $0) } } }) {
                try await writeBackupFile(of: operation, to: bucket)
            }
            // As a server answers: the id and the status (the end's, for a statement without ASYNC).
            if !sql.hasSuffix(" ASYNC") { try await runToItsEnd(id) }
            return "\(id)\t\(status(id)?.rawValue ?? "")\n"
        }
        return sql == "SELECT 1" ? "1\n" : ""
    }

    /// An ASYNC backup's `.backup` file: written now when it succeeds, when its gate opens
    /// when it is held, never when it fails.
    private func writeBackupFile(of operation: Operation, to bucket: MemoryObjectStore) async throws {
        let url = operation.name + ".backup"
        switch operation.behaviour {
        case .succeed: _ = try await bucket.put(url, body: Self.backupFile, contentType: "text/xml", ifNoneMatch: false)
        case .hold(let gate):
            Task {
                await gate.wait()
                _ = try await bucket.put(url, body: Self.backupFile, contentType: "text/xml", ifNoneMatch: false)
            }
        case .fail: break
        }
    }

    /// A statement sent without ASYNC answers when it ends: done, or failed with ClickHouse's
    /// error (and its row in system.backups says so, as a real server's does).
    private func runToItsEnd(_ id: String) async throws {
        guard let operation = state.withLock({ $0.backups[id] }) else { return }
        if case .hold(let gate) = operation.behaviour { try await gate.waitUnlessCancelled() }
        let restore = operation.status == .restoring
        let (error, lost, bucket) = state.withLock { state -> (String?, Bool, MemoryObjectStore?) in
            var error: String?
            if case .fail(let text) = operation.behaviour {
                state.backups[id]?.status = restore ? .restoreFailed : .backupFailed
                state.backups[id]?.error = text
                error = text
            } else {
                state.backups[id]?.status = restore ? .restored : .backupCreated
            }
            return (error, state.loseAnswers, restore ? nil : state.bucket)
        }
        if error == nil, let bucket { _ = try await bucket.put(operation.name + ".backup", body: Self.backupFile, contentType: "text/xml", ifNoneMatch: false) }
        if lost { throw DomainError(.unavailable, "\(endpoint): the answer timed out") }
        if let error { throw ClickHouseError.parse(error, host: endpoint.description)! }
    }

    /// How a host's state read (``HostOperation/readState(withAttempts:)``) begins.
    static let stateReadPrefix = "SELECT database AS a, name AS b, engine AS c"

    func select(_ sql: String, timeout: Duration?) async throws -> [JSONValue] {
        try refuseWhenDown()
        state.withLock { $0.statements.append(sql) }
        if sql.hasPrefix(Self.stateReadPrefix) {  // a host's state: tables, rows, sizes
            defer { stateRead.open() }
            return state.withLock { state in
                Self.listed(state.tables, by: sql).map { table in
                    JSONValue.object(["a": .string(table.database), "b": .string(table.name), "c": .string(table.engine),
                                      "d": .string(String(table.rows)), "e": .string(state.bytes.map(String.init) ?? "")])
                }
            }
        }
        if sql.hasPrefix("SELECT 'operation' AS kind"), let id = Self.quoted(after: "WHERE id = ", in: sql) {  // an inline backup's end
            let status = try await select("SELECT status, error FROM system.backups WHERE id = '\(id)'", timeout: timeout).map { row in
                guard case .object(var fields) = row else { return row }
                for (key, value) in fields { if case .number(let text) = value { fields[key] = .string(text) } }
                fields["kind"] = .string("operation")
                return JSONValue.object(fields)
            }
            state.withLock { _ = $0.statements.popLast() }  // one statement, as the server saw it
            return status + state.withLock { Self.listed($0.tables, by: sql).map {
                .object(["kind": .string("table"), "database": .string($0.database), "name": .string($0.name), "rows": .string(String($0.rows))])
            } }
        }
        if sql.hasPrefix("SELECT status, error"), let id = Self.quoted(after: "WHERE id = ", in: sql) {
            return state.withLock { state -> [JSONValue] in
                guard var operation = state.backups[id] else { return [] }
                if !operation.status.isTerminal {  // ASYNC: the end shows on a later poll
                    let restore = operation.status == .restoring
                    var ends = true
                    if case .hold(let gate) = operation.behaviour { ends = gate.isOpen }
                    if ends, state.statusLag > 0 {
                        state.statusLag -= 1
                        ends = false
                    }
                    if ends {
                        switch operation.behaviour {
                        case .succeed, .hold: operation.status = restore ? .restored : .backupCreated
                        case .fail(let error): (operation.status, operation.error) = (restore ? .restoreFailed : .backupFailed, error)
                        }
                    }
                    state.backups[id] = operation
                }
                return [.object(["status": .string(operation.status.rawValue), "error": .string(operation.error), "query_id": .string("q-\(id)"),
                                 "num_files": .number("3"), "total_size": .number("100"), "compressed_size": .number("60"),
                                 "uncompressed_size": .number("200")])]
            }
        }
        if sql.hasPrefix("SELECT query_id FROM system.processes") {
            // An operation's query, found by the `id = '...'` of its statement while it is held.
            return try state.withLock { state -> [JSONValue] in
                if state.refuseProcesses { throw processesRefused }
                guard let found = state.backups.first(where: { sql.contains(#"'id = \'"# + $0.key + #"\''"#) }), !found.value.status.isTerminal,
                      case .hold(let gate) = found.value.behaviour, !gate.isOpen else { return [] }
                return [.object(["query_id": .string("q-\(found.key)")])]
            }
        }
        if sql.hasPrefix("SELECT 1 AS running FROM system.processes"), let query = Self.quoted(after: "query_id = ", in: sql) {
            // An operation's query runs while it is held; one that would end ends at its next status read.
            return try state.withLock { state -> [JSONValue] in
                if state.refuseProcesses { throw processesRefused }
                guard let operation = state.backups.first(where: { "q-\($0.key)" == query })?.value, !operation.status.isTerminal,
                      case .hold(let gate) = operation.behaviour, !gate.isOpen else { return [] }
                return [.object(["running": .number("1")])]
            }
        }
        if sql.hasPrefix("SELECT id, status FROM system.backups"), let prefix = Self.quoted(after: "startsWith(id, ", in: sql) {
            return state.withLock { state in
                state.backups.filter { $0.key.hasPrefix(prefix) }.map { .object(["id": .string($0.key), "status": .string($0.value.status.rawValue)]) }
            }
        }
        if sql.hasPrefix("SELECT status FROM system.backups"), let id = Self.quoted(after: "WHERE id = ", in: sql) {
            return state.withLock { $0.backups[id].map { [.object(["status": .string($0.status.rawValue)])] } ?? [] }
        }
        if sql.hasPrefix("SELECT name FROM system.backups"), let id = Self.quoted(after: "WHERE id = ", in: sql) {
            return state.withLock { $0.backups[id].map { [.object(["name": .string($0.name)])] } ?? [] }
        }
        if sql.hasPrefix("SELECT database, name, ifNull(toString(total_rows), '') AS rows FROM system.tables") {
            return state.withLock { Self.listed($0.tables, by: sql).map { .object(["database": .string($0.database), "name": .string($0.name), "rows": .string(String($0.rows))]) } }
        }
        if sql.hasPrefix("SELECT toString(count()) AS rows, toString(sum(cityHash64(*))) AS hash FROM ") {
            let rows = state.withLock { state in state.tables.first { sql.hasSuffix("`\($0.database)`.`\($0.name)`") }?.rows }
            return rows.map { [.object(["rows": .string(String($0)), "hash": .string("h\($0)")])] } ?? []
        }
        if sql.hasPrefix("SELECT database, name, engine FROM system.tables") {
            return state.withLock { Self.listed($0.tables, by: sql).map { .object(["database": .string($0.database), "name": .string($0.name), "engine": .string($0.engine)]) } }
        }
        return []
    }

    /// The tables a read of `system.tables` lists: all but those of the databases its
    /// `database NOT IN ('a', 'b')` leaves out.
    private static func listed(_ tables: [(database: String, name: String, engine: String, rows: Int64)],
                               by sql: String) -> [(database: String, name: String, engine: String, rows: Int64)] {
        guard let start = sql.range(of: "database NOT IN (")?.upperBound, let end = sql[start...].firstIndex(of: ")") else { return tables }
        let excluded = Set(sql[start..<end].split(separator: ",").map { String($0.filter { $0 != " " && $0 != "'" }) })
        return tables.filter { !excluded.contains($0.database) }
    }

    /// What a user without the grant is told when it reads `system.processes`.
    private var processesRefused: ClickHouseError {
        ClickHouseError(host: endpoint.description, code: 497, name: "ACCESS_DENIED",
                        message: "default: Not enough privileges. To execute this query, it's necessary to have the grant SHOW PROCESSLIST")
    }

    /// The single-quoted SQL string right after `marker`.
    static func quoted(after marker: String, in sql: String) -> String? {
        guard let start = sql.range(of: marker + "'") else { return nil }
        let rest = sql[start.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}

/// An object store in memory, addressed by URL as S3 is.
final class MemoryObjectStore: ObjectStore, Sendable {
    private let objects = LockedState<[String: [UInt8]]>([:])
    private let held = LockedState<(suffix: String, gate: Gate)?>(nil)
    /// Every write, in order, by URL.
    let writes = LockedState<[String]>([])

    private let heldOnce = LockedState(false)

    /// Writes to URLs ending in `suffix` wait for `gate` (`once`: the first such write only).
    func holdWrites(endingIn suffix: String, until gate: Gate, once: Bool = false) {
        heldOnce.withLock { $0 = once }
        held.withLock { $0 = (suffix, gate) }
    }

    /// Whether a hold is still set (one set `once` is gone when its write came).
    var isHolding: Bool { held.withLock { $0 != nil } }

    /// Waits for the gate when `url` is held.
    private func passHold(_ url: String) async {
        let gate = held.withLock { held -> Gate? in
            guard let (suffix, gate) = held, url.hasSuffix(suffix) else { return nil }
            if heldOnce.withLock({ $0 }) { held = nil }
            return gate
        }
        await gate?.wait()
    }

    func put(_ url: String, body: [UInt8], contentType: String, ifNoneMatch: Bool) async throws -> Bool {
        await passHold(url)
        writes.withLock { $0.append(url) }
        return objects.withLock { objects in
            if ifNoneMatch, objects[url] != nil { return false }
            objects[url] = body
            return true
        }
    }

    func get(_ url: String) async throws -> [UInt8]? { objects.withLock { $0[url] } }

    /// Every HEAD, in order, by URL.
    let heads = LockedState<[String]>([])
    /// HEADs fail, as a bucket that refuses or cannot be reached.
    let refusesHeads = LockedState(false)

    func exists(_ url: String) async throws -> Bool {
        heads.withLock { $0.append(url) }
        if refusesHeads.withLock({ $0 }) { throw S3Error(.permission, "S3 \(url): AccessDenied (HTTP 403)", status: 403) }
        return objects.withLock { $0[url] != nil }
    }

    /// Every GET with its version, in order, by URL.
    let versionedGets = LockedState<[String]>([])

    func getVersioned(_ url: String) async throws -> (body: [UInt8], etag: String)? {
        versionedGets.withLock { $0.append(url) }
        return objects.withLock { $0[url] }.map { ($0, Self.version(of: $0)) }
    }

    func put(_ url: String, body: [UInt8], ifVersion version: String?) async throws -> Bool {
        await passHold(url)
        writes.withLock { $0.append(url) }
        return objects.withLock { objects in
            guard objects[url].map(Self.version) == version else { return false }
            objects[url] = body
            return true
        }
    }

    /// A stand-in ETag: the body's length and a hash of it.
    static func version(of body: [UInt8]) -> String { "\(body.count)-\(body.reduce(into: UInt64(5381)) { $0 = $0 &* 33 &+ UInt64($1) })" }
    func delete(_ url: String) async throws { _ = objects.withLock { $0.removeValue(forKey: url) } }
    func delete(bucketURL: String, keys: [String]) async throws {
        objects.withLock { objects in keys.forEach { objects.removeValue(forKey: bucketURL + $0) } }
    }

    func list(bucketURL: String, prefix: String, delimiter: String?) async throws -> (keys: [String], prefixes: [String]) {
        let keys = objects.withLock { Array($0.keys) }.filter { $0.hasPrefix(bucketURL) }.map { String($0.dropFirst(bucketURL.count)) }
            .filter { $0.hasPrefix(prefix) }.sorted()
        guard let delimiter else { return (keys, []) }
        var direct: [String] = [], prefixes: Set<String> = []
        for key in keys {
            let rest = key.dropFirst(prefix.count)
            if let cut = rest.range(of: delimiter) { prefixes.insert(prefix + rest[..<cut.upperBound]) } else { direct.append(key) }
        }
        return (direct, prefixes.sorted())
    }

    /// The manifest at `url`, decoded.
    func manifest(_ url: String) async throws -> BackupManifest? {
        guard let bytes = try await get(url) else { return nil }
        return BackupManifest(json: try JSONParser.parse(bytes))
    }
}
