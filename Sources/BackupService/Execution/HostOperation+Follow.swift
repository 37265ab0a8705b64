import BackupClients
import BackupDomain
import RPCRuntime

/// Following an operation to its end. Its status is in `system.backups`, whose every read
/// costs the server time in proportion to every operation it has run (ClickHouse fills each
/// operation's ProfileEvents and settings, whatever the query selects: 20 ms with 100 rows on
/// chdb); whether its query still runs is in `system.processes`, which costs less. So the
/// query is found there by the id its statement sets (or, when it is not listed, named by a
/// first status read), the status is read whenever the end is seen and between those for
/// progress only every ``PollSchedule/progressInterval``, and the end is watched at the
/// adaptive pace: a backup's in its bucket, where ClickHouse writes the `.backup` file last
/// (``markerURL``: a HEAD costs the server nothing, while every query, however small, took
/// time from the running backup: four shards' BACKUPs ran 1.12 s alone, 1.41 s with a look each
/// 100 ms), anything else's in `system.processes`. A server that refuses `system.processes` (a
/// restricted user) is followed in `system.backups` and the bucket alone.
extension HostOperation {
    /// Polls until the operation ends; on cancellation, leaves it running unless `cancel_on_abort`.
    /// `readingRows`: the read that sees the end also takes every table's rows
    /// (``statusAndRowsQuery(id:)``): the first read when the operation `ended` (an inline
    /// statement answered), else a read after its query was gone or its `.backup` file was
    /// written. Once: the status can lag the file by a moment, and the rows read after the file
    /// was written are already the rows after the backup, so later reads take the status alone.
    func follow(id operationID: String, mustExist: Bool = false, grace: Duration = .zero, readingRows: Bool = false,
                ended: Bool = false) async throws -> Outcome {
        let id = SQLQuoting.string(operationID)
        let query = "SELECT status, error, query_id, num_files, total_size, compressed_size, uncompressed_size FROM system.backups WHERE id = \(id)"
        var rowsAfter: [TableName: Int64]?
        let clock = ContinuousClock()
        let started = clock.now
        var logged = started
        let marker = markerURL
        var watch = QueryWatch(schedule: environment.poll, now: started, watchesMarker: marker != nil)
        while true {
            do {
                try Task.checkCancellation()
                if watch.searches {
                    let listing = try await listing(of: operationID)
                    watch.searched(listing)
                    if case .running = listing {
                        let status: BackupStatus = verb == .backup ? .creatingBackup : .restoring
                        tracker?.progress(planned, status: status.rawValue, numFiles: 0, totalSize: 0, error: nil)
                        try await Task.sleep(for: watch.delay(elapsed: clock.now - started))
                        continue
                    }
                }
                switch watch.due(at: clock.now) {
                case .query(let running)?:
                    let stillRunning = try await isRunning(query: running)
                    watch.polled(running: stillRunning)
                    if stillRunning == true {
                        try await Task.sleep(for: watch.delay(elapsed: clock.now - started))
                        continue
                    }
                case .marker?:
                    let written = try await markerWritten(marker)
                    watch.markerPolled(written: written)
                    if written != true {
                        try await Task.sleep(for: watch.delay(elapsed: clock.now - started))
                        continue
                    }
                case nil:
                    break
                }
                let polled = clock.now
                var row: JSONValue?
                if readingRows, rowsAfter == nil, ended || watch.ended {
                    (row, rowsAfter) = Self.splitStatusAndRows(try await client.select(statusAndRowsQuery(id: id), timeout: .seconds(30)))
                } else {
                    row = try await client.select(query, timeout: .seconds(30)).first
                }
                var queryID: String?
                if case .string(let text)? = row?["query_id"], !text.isEmpty { queryID = text }
                watch.read(at: polled, cost: clock.now - polled, queryID: queryID)
                if let row, case .string(let text)? = row["status"] {
                    let status = BackupStatus(rawValue: text)
                    var seen = outcome(row, status: status, id: operationID)
                    tracker?.progress(planned, status: status.rawValue, numFiles: seen.numFiles, totalSize: seen.totalSize, error: seen.error)
                    seen.rowsAfter = rowsAfter
                    if status.isTerminal { return seen }
                    if clock.now - logged >= environment.progressLogInterval {
                        logged = clock.now
                        environment.logger.info("host progress", metadata: [
                            "host": .string(planned.host.fqdn), "clickhouse_id": .string(operationID), "status": .string(status.rawValue),
                            "num_files": .string(String(seen.numFiles)), "total_size": .string(String(seen.totalSize)),
                            "elapsed_ms": .string(String((clock.now - started).wholeMilliseconds))])
                    }
                }
                if row == nil, mustExist, clock.now - started >= grace {
                    throw DomainError(.aborted, "\(client.endpoint): ClickHouse no longer knows operation \(operationID) "
                                   + "(the server restarted?); the backup is marked failed and its files can be cleaned")
                }
                try await Task.sleep(for: watch.delay(elapsed: clock.now - started))
            } catch {
                // Cancellation surfaces as CancellationError from a sleep, or as a cancelled
                // HTTP request from a poll: either way the task is cancelled.
                guard Task.isCancelled || error is CancellationError else { throw error }
                if cancelOnAbort || tracker?.cancelRequested == true { await cancelOperation(operationID) }
                throw CancellationError()
            }
        }
    }

    /// How `system.processes` lists an operation: the query of the BACKUP or RESTORE whose
    /// statement sets `id = '<id>'` (the plugin writes it so; the closing quote keeps `-a2` apart).
    enum Listing: Equatable { case running(query: String), absent, refused }

    /// Where `system.processes` has the operation's query, found by its id in the statement:
    /// the status read that would name it is not needed to start watching.
    private func listing(of operationID: String) async throws -> Listing {
        let needle = SQLQuoting.string("id = " + SQLQuoting.string(operationID))
        do {
            let rows = try await client.select("SELECT query_id FROM system.processes WHERE query_kind IN ('Backup', 'Restore') "
                                               + "AND position(query, \(needle)) > 0", timeout: .seconds(30))
            guard case .string(let query)? = rows.first?["query_id"], !query.isEmpty else { return .absent }
            return .running(query: query)
        } catch is ClickHouseError {
            return .refused
        }
    }

    /// Whether `query` is in this server's `system.processes`; nil when the server refuses
    /// the read (then the operation is followed in `system.backups` alone).
    private func isRunning(query: String) async throws -> Bool? {
        do {
            return !(try await client.select("SELECT 1 AS running FROM system.processes WHERE query_id = \(SQLQuoting.string(query))",
                                             timeout: .seconds(30))).isEmpty
        } catch is ClickHouseError {
            return nil
        }
    }

    /// Where a backup writes its `.backup` file last, when it succeeds: a folder in a bucket
    /// the plugin holds the credentials of (an archive is one object; without the credentials
    /// the bucket cannot be asked). Nil for anything else, which is watched in `system.processes`.
    var markerURL: String? {
        guard verb == .backup, bucket != nil, case .s3(let url, _, _) = destination, url.hasSuffix("/") else { return nil }
        return url + BackupMetadataFile.name
    }

    /// Whether the backup's `.backup` file is in the bucket; nil when the bucket cannot say
    /// (refused, unreachable): the end is then watched in `system.processes`.
    private func markerWritten(_ url: String?) async throws -> Bool? {
        guard let url, let bucket else { return nil }
        do {
            return try await bucket.exists(url)
        } catch where !Task.isCancelled {
            // Said once: the watch moves to system.processes. S3's messages name the object, never a key.
            environment.logger.info("host end watched in system.processes", metadata: [
                "host": .string(planned.host.fqdn), "reason": .string("\(error)")])
            return nil
        }
    }

    func cancelOperation(_ operationID: String) async {
        let id = SQLQuoting.string(operationID)
        // A fresh task: this one is cancelled, and the KILL must still go out.
        let client = self.client
        await Task.detached {
            _ = try? await client.run("KILL QUERY WHERE query_id IN (SELECT query_id FROM system.backups WHERE id = \(id)) SYNC",
                                          timeout: .seconds(10))
        }.value
    }
}

/// When a followed operation's status is read and what is looked at between reads: first the
/// query is searched for by the operation's id (found, the status is first read a progress
/// interval later); the status on the first poll otherwise, whenever the end is seen, and once
/// per progress interval (never more often than `costFactor` times what a status read costs).
/// Between reads, at the schedule's adaptive pace, a backup's `.backup` file in its bucket
/// (``HostOperation/markerURL``) or else the query in `system.processes`.
struct QueryWatch: Sendable {
    /// What a poll between two status reads asks.
    enum Look: Equatable {
        /// Whether this query is still in `system.processes`.
        case query(String)
        /// Whether the backup's `.backup` file is in its bucket.
        case marker
    }

    let schedule: PollSchedule
    /// The operation's query, once the search found it or a status read named it; nil after the server refused
    /// `system.processes`, which is then never asked again.
    private(set) var query: String?
    private var refused = false
    private var searched = false
    /// The operation is known to have started: the search found its query, or its status was read.
    private var known = false
    /// The `.backup` file is looked for: until it is seen (after that, it says nothing more)
    /// or the bucket could not say.
    private(set) var watchesMarker: Bool
    private var lastRead: ContinuousClock.Instant
    private var readCost: Duration = .zero
    /// The end was seen at the last poll (the query gone, or the file written): the status is read now.
    private(set) var ended = false

    init(schedule: PollSchedule, now: ContinuousClock.Instant, watchesMarker: Bool = false) {
        self.schedule = schedule
        self.watchesMarker = watchesMarker
        lastRead = now
    }

    /// The operation's query is to be searched for (once, before anything else).
    var searches: Bool { !searched && !refused && query == nil }

    /// What the search found.
    mutating func searched(_ listing: HostOperation.Listing) {
        searched = true
        switch listing {
        case .running(let found): (query, known) = (found, true)
        case .absent: break
        case .refused: refused = true
        }
    }

    /// What to look at now, or nil when the status is to be read instead.
    func due(at now: ContinuousClock.Instant) -> Look? {
        guard known, !ended, now - lastRead < max(schedule.progressInterval, readCost * schedule.costFactor) else { return nil }
        if watchesMarker { return .marker }
        return query.map(Look.query)
    }

    /// A look for the query: `running` nil when the server refused it.
    mutating func polled(running: Bool?) {
        if running == nil { (refused, query) = (true, nil) }
        ended = running != true
    }

    /// A look for the `.backup` file: `written` nil when the bucket could not say. Either way
    /// the query is watched from then on (a file seen says nothing more, should the status
    /// still be running).
    mutating func markerPolled(written: Bool?) {
        if written != false { watchesMarker = false }
        ended = written == true
    }

    /// A status read, and the query it named.
    mutating func read(at time: ContinuousClock.Instant, cost: Duration, queryID: String?) {
        (lastRead, readCost, ended, known) = (time, cost, false, true)
        if !refused { query = queryID }
    }

    /// The wait before the next poll: a look at the schedule's pace alone (it costs the server
    /// little; one that took long met a busy machine, and waiting `costFactor` times that,
    /// 400 ms after a 100 ms look, only saw the end late), and in the bucket, which costs the
    /// server nothing, twice as often; a status read also at least `costFactor` times what the
    /// last one cost.
    func delay(elapsed: Duration) -> Duration {
        if watchesMarker && known { return schedule.delay(elapsed: elapsed / 2) }
        return schedule.delay(elapsed: elapsed, lastPoll: query != nil && !refused ? .zero : readCost)
    }
}
