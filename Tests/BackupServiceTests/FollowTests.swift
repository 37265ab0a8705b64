import BackupClients
import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// Following an ASYNC operation: `system.backups` (dear: its cost grows with the server's
/// history) is read first, then once per progress interval and when the end is seen; between
/// those, polls look for a backup's `.backup` file in its bucket, or for the query in
/// `system.processes`. (`HostOperation+Follow.swift`)
@Suite struct FollowTests {
    typealias Cluster = OperationRunTests.Cluster

    func statusReads(_ host: ScriptedClickHouse) -> Int { host.statements.filter { $0.hasPrefix("SELECT status, error") }.count }
    func processPolls(_ host: ScriptedClickHouse) -> Int { host.statements.filter { $0.contains("FROM system.processes") }.count }
    func markerLooks(_ cluster: Cluster, _ host: ScriptedClickHouse) -> Int {
        let shard = host.endpoint.host.contains("-0-0.") ? "shard-0" : "shard-1"
        return cluster.store.heads.withLock { $0 }.filter { $0 == "http://s3.test/bucket/prefix/ns/demo/nightly/\(shard)/.backup" }.count
    }

    /// A long operation on both hosts, held until `done` says so (or 10 s have passed).
    func heldBackup(_ cluster: Cluster, progressInterval: Duration, until done: @escaping @Sendable () -> Bool) async throws -> BackupResult {
        let gate = Gate()
        cluster.hosts.forEach { $0.setBytes(Int64(1) << 40); $0.setBehaviour(.hold(gate)) }
        var environment = cluster.environment()
        environment.poll.progressInterval = progressInterval
        let provider = BackupServiceProvider(environment: environment, now: { 1_796_000_000 })
        let run = Task { try await provider.backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb)) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        gate.open()
        return try await run.value
    }

    /// A backup's end is watched in its bucket: ClickHouse writes the `.backup` file last. The
    /// server is asked nothing while it runs (every query took time from the backup), and its
    /// status is read once, with the rows after it, when the file is there.
    @Test func aRunningBackupIsWatchedInItsBucketAndReadOnce() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        let result = try await heldBackup(cluster, progressInterval: .seconds(3600)) { hosts.allSatisfy { markerLooks(cluster, $0) >= 20 } }
        #expect(result.metadata["state"] == "Completed" && result.metadata["total_size"] == "200")
        for host in hosts {
            #expect(host.operations.count == 1 && host.operations[0].hasSuffix(" ASYNC"))
            // Its query found by its id (a failure at once is read at once), then only its end read, with the rows after it.
            let id = host.operations[0].components(separatedBy: "id = '")[1].prefix { $0 != "'" }
            #expect(host.statements.contains("SELECT query_id FROM system.processes WHERE query_kind IN ('Backup', 'Restore') "
                                             + #"AND position(query, 'id = \'"# + id + #"\'') > 0"#))
            #expect(processPolls(host) == 1 && markerLooks(cluster, host) >= 20)
            #expect(statusReads(host) == 0 && host.statements.filter { $0.hasPrefix("SELECT 'operation' AS kind") }.count == 1)
            #expect(!host.statements.contains { $0.hasPrefix("SELECT database, name, ifNull(toString(total_rows)") })
        }
    }

    /// ClickHouse writes the `.backup` file a moment before its status says the backup ended:
    /// a read that sees the file first takes the rows after it once, and the reads after it
    /// the status alone (the e2e stack caught two reads of the rows).
    @Test func aStatusThatLagsTheFileIsReadAgainWithoutTheRows() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        hosts.forEach { $0.lagStatus(reads: 1) }
        let result = try await heldBackup(cluster, progressInterval: .seconds(3600)) { hosts.allSatisfy { markerLooks(cluster, $0) >= 5 } }
        #expect(result.metadata["state"] == "Completed" && result.metadata["total_size"] == "200")
        for host in hosts {
            #expect(host.statements.filter { $0.hasPrefix("SELECT 'operation' AS kind") }.count == 1)
            #expect(statusReads(host) == 1)
            #expect(!host.statements.contains { $0.hasPrefix("SELECT database, name, ifNull(toString(total_rows)") })
        }
    }

    /// Where the bucket cannot say (HEAD refused), the query is watched in `system.processes`,
    /// as a restore's or a backup's without the bucket's credentials is; the bucket is asked once.
    @Test func aBucketThatCannotSayFallsBackToTheProcessList() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        cluster.store.refusesHeads.withLock { $0 = true }
        let result = try await heldBackup(cluster, progressInterval: .seconds(3600)) { hosts.allSatisfy { processPolls($0) >= 20 } }
        #expect(result.metadata["state"] == "Completed" && result.metadata["total_size"] == "200")
        for host in hosts {
            #expect(markerLooks(cluster, host) == 1 && statusReads(host) == 0)
            #expect(host.statements.filter { $0.hasPrefix("SELECT 'operation' AS kind") }.count == 1)
            let id = host.operations[0].components(separatedBy: "id = '")[1].prefix { $0 != "'" }
            #expect(host.statements.contains("SELECT 1 AS running FROM system.processes WHERE query_id = 'q-\(id)'"))
        }
    }

    /// A backup that fails while it runs writes no `.backup` file: its end is read at the next
    /// progress read.
    @Test func aBackupThatFailsWhileWatchedInItsBucketIsReadAtTheNextProgressRead() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        let gate = Gate()
        hosts.forEach { $0.setBytes(Int64(1) << 40); $0.setBehaviour(.hold(gate)) }
        var environment = cluster.environment()
        environment.poll.progressInterval = .milliseconds(100)
        let provider = BackupServiceProvider(environment: environment, now: { 1_796_000_000 })
        let run = Task { try await provider.backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb)) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !hosts.allSatisfy({ markerLooks(cluster, $0) >= 5 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        hosts.forEach { $0.failRunning("Code: 499. DB::Exception: S3 exception: SlowDown. (S3_ERROR)") }
        let started = ContinuousClock.now
        await #expect(throws: RPCError.self) { try await run.value }
        #expect(ContinuousClock.now - started < .seconds(5))
        gate.open()
    }

    /// The status and progress are read again once per progress interval while it runs.
    @Test func progressIsReadOncePerInterval() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        _ = try await heldBackup(cluster, progressInterval: .milliseconds(50)) { hosts.allSatisfy { statusReads($0) >= 4 } }
        #expect(hosts.allSatisfy { processPolls($0) >= 1 })  // polls every 1-5 ms, reads every 50
    }

    /// A query the search does not find (not listed yet) is named by the first status read.
    @Test func aQueryNotFoundIsNamedByTheFirstStatusRead() async throws {
        var watch = QueryWatch(schedule: PollSchedule(), now: .now)
        #expect(watch.searches)
        watch.searched(.absent)
        #expect(!watch.searches && watch.due(at: .now) == nil)
        watch.read(at: .now, cost: .milliseconds(20), queryID: "q1")
        #expect(watch.due(at: .now) == .query("q1"))
        var found = QueryWatch(schedule: PollSchedule(), now: .now)
        found.searched(.running(query: "q2"))
        #expect(!found.searches && found.due(at: .now) == .query("q2"))
        var refused = QueryWatch(schedule: PollSchedule(), now: .now)
        refused.searched(.refused)
        #expect(!refused.searches && refused.due(at: .now) == nil)
        refused.read(at: .now, cost: .zero, queryID: "q3")
        #expect(refused.query == nil)
    }

    /// A server that refuses `system.processes`, with a bucket that cannot say, is followed in
    /// `system.backups` alone, and each is asked once.
    @Test func aRefusedProcessListFallsBackToStatusReads() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        hosts.forEach { $0.refuseProcesses() }
        cluster.store.refusesHeads.withLock { $0 = true }
        let result = try await heldBackup(cluster, progressInterval: .seconds(3600)) { hosts.allSatisfy { statusReads($0) >= 10 } }
        #expect(result.metadata["state"] == "Completed")
        #expect(hosts.allSatisfy { processPolls($0) == 1 && markerLooks(cluster, $0) == 1 })  // the search, refused; one HEAD, refused
    }

    /// Refused `system.processes`, a backup is still watched in its bucket.
    @Test func aRefusedProcessListStillWatchesTheBucket() async throws {
        let cluster = Cluster()
        let hosts = cluster.hosts
        hosts.forEach { $0.refuseProcesses() }
        let result = try await heldBackup(cluster, progressInterval: .seconds(3600)) { hosts.allSatisfy { markerLooks(cluster, $0) >= 20 } }
        #expect(result.metadata["state"] == "Completed")
        // The search refused, the first status read (nothing named it), then looks in the bucket alone.
        #expect(hosts.allSatisfy { processPolls($0) == 1 && statusReads($0) == 1 })
    }

    @Test func theWatchReadsTheStatusFirstThenWhenTheQueryIsGone() {
        var schedule = PollSchedule()
        schedule.progressInterval = .seconds(1)
        let start = ContinuousClock.now
        var watch = QueryWatch(schedule: schedule, now: start)
        #expect(watch.due(at: start) == nil)  // nothing named yet: read the status
        watch.read(at: start, cost: .milliseconds(20), queryID: "q1")
        #expect(watch.due(at: start + .milliseconds(10)) == .query("q1"))
        watch.polled(running: true)
        #expect(watch.delay(elapsed: .milliseconds(100)) == .milliseconds(10))  // at the schedule's pace, whatever the read cost
        #expect(watch.due(at: start + .milliseconds(999)) == .query("q1"))
        #expect(watch.due(at: start + .seconds(1)) == nil)  // the progress interval: read the status
        watch.polled(running: false)
        #expect(watch.due(at: start + .milliseconds(20)) == nil)  // gone: read the status now
        watch.read(at: start + .milliseconds(20), cost: .milliseconds(400), queryID: "q1")
        // A dear read is not repeated more often than costFactor times its cost.
        #expect(watch.due(at: start + .milliseconds(20) + .milliseconds(1500)) == .query("q1"))
        watch.polled(running: nil)  // refused: never asked again
        watch.read(at: start + .seconds(3), cost: .milliseconds(20), queryID: "q1")
        #expect(watch.due(at: start + .seconds(3)) == nil && watch.query == nil)
    }

    @Test func aMarkerWatchLooksInTheBucketUntilTheFileIsSeen() {
        var schedule = PollSchedule()
        schedule.progressInterval = .seconds(1)
        let start = ContinuousClock.now
        var watch = QueryWatch(schedule: schedule, now: start, watchesMarker: true)
        watch.searched(.absent)
        #expect(watch.due(at: start) == nil)  // not seen running yet: read the status (it may have failed at once)
        watch.read(at: start, cost: .milliseconds(20), queryID: "q1")
        #expect(watch.due(at: start + .milliseconds(10)) == .marker)
        watch.markerPolled(written: false)
        #expect(watch.delay(elapsed: .milliseconds(100)) == .milliseconds(10) && watch.due(at: start + .milliseconds(20)) == .marker)
        #expect(watch.delay(elapsed: .seconds(2)) == .milliseconds(50))  // twice the pace of a look at the server
        #expect(watch.due(at: start + .seconds(1)) == nil)  // the progress interval: read the status
        watch.markerPolled(written: true)
        #expect(watch.ended && watch.due(at: start + .milliseconds(30)) == nil)  // written: read the status now
        watch.read(at: start + .milliseconds(30), cost: .milliseconds(20), queryID: "q1")
        // Still running after the file was seen: the query is watched from then on.
        #expect(!watch.watchesMarker && watch.due(at: start + .milliseconds(40)) == .query("q1"))
        #expect(watch.delay(elapsed: .seconds(2)) == .milliseconds(100))
        var failing = QueryWatch(schedule: schedule, now: start, watchesMarker: true)
        failing.searched(.running(query: "q2"))
        #expect(failing.due(at: start) == .marker)
        failing.markerPolled(written: nil)  // the bucket cannot say: the process list instead
        #expect(!failing.ended && failing.due(at: start) == .query("q2"))
    }
}
