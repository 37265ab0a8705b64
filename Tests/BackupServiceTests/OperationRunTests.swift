import BackupClients
import BackupDomain
import BackupProtocol
import HTTPTransport
import PluginSupport
import RPCRuntime
import Testing
@testable import BackupService

/// Runs through `BackupServiceProvider` against scripted ClickHouse servers and a memory
/// object store: what is sent to each host, what the manifest records, and what the caller
/// is answered, for a run, a repeated call, a second process that finds the run in progress,
/// a failing host and a cancelled run. Ordering by gates, not sleeps.
@Suite struct OperationRunTests {
    static let chi = Array(#"""
    {"metadata":{"name":"demo","namespace":"ns"},"spec":{"configuration":{"clusters":[{"name":"main","layout":{"shardsCount":2}}]}}}
    """#.utf8)
    static let chb = Array(#"""
    {"metadata":{"name":"nightly","namespace":"ns","uid":"u-1"},
     "spec":{"ClickhouseInstallation":{"name":"demo","cluster":{"name":"main"}},
      "backup":{"dbTable":{"whiteList":["db.t"]},
       "s3":{"destinationPath":"s3://bucket/prefix/","endpointURL":"http://s3.test",
             "s3Credentials":{"accessKeyId":{"name":"s3","key":"id"},"secretAccessKey":{"name":"s3","key":"secret"}}}}}}
    """#.utf8)
    static let manifestURL = "http://s3.test/bucket/prefix/ns/demo/nightly/manifest.json"

    /// Two shards, one replica each, each with the table `db.t`.
    struct Cluster {
        var hosts = [
            ScriptedClickHouse(host: "chi-demo-main-0-0.ns.svc.cluster.local", tables: [("db", "t", "MergeTree", 10)]),
            ScriptedClickHouse(host: "chi-demo-main-1-0.ns.svc.cluster.local", tables: [("db", "t", "MergeTree", 20)]),
        ]
        let store = MemoryObjectStore()
        /// Every environment's deferred writes (the index update and unlock after an answer).
        let deferredWrites = BackgroundTasks()

        init() {
            hosts.forEach { $0.writeAsyncBackupFiles(to: store) }
        }

        /// Both shards with the same `tables`.
        init(tables: [(database: String, name: String, engine: String, rows: Int64)]) {
            hosts = ["chi-demo-main-0-0.ns.svc.cluster.local", "chi-demo-main-1-0.ns.svc.cluster.local"].map {
                ScriptedClickHouse(host: $0, tables: tables)
            }
            hosts.forEach { $0.writeAsyncBackupFiles(to: store) }
        }

        func environment() -> ExecutionEnvironment {
            var environment = ExecutionEnvironment(
                http: HTTPClient(), clickHouse: ClickHouseCredentials(),
                secrets: SecretStore(directory: nil, environment: ["CLICKHOUSE_BACKUP_PLUGIN_SECRET_S3_ID": "AKID",
                                                                    "CLICKHOUSE_BACKUP_PLUGIN_SECRET_S3_SECRET": "never-shown"]))
            var poll = PollSchedule()
            poll.initial = .milliseconds(1)
            poll.maximum = .milliseconds(5)
            environment.poll = poll
            let hosts = self.hosts, store = self.store
            environment.connect = { endpoint, _, _ in hosts.first { $0.endpoint.host == endpoint.host }! }
            environment.objectStore = { _ in store }
            environment.deferredWrites = deferredWrites
            return environment
        }

        /// Once the writes the runs left after their answers are done.
        func settled() async { await deferredWrites.drain(timeout: .seconds(10)) }

        func provider() -> BackupServiceProvider { BackupServiceProvider(environment: environment(), now: { 1_796_000_000 }) }
    }

    func backup(_ provider: BackupServiceProvider, chb: [UInt8] = chb, parameters: [String: String] = [:]) async throws(RPCError) -> BackupResult {
        try await provider.backup(BackupRequest(chiDefinition: Self.chi, backupDefinition: chb, parameters: parameters))
    }

    /// The CHB with `db.*` selected (the database's tables one by one).
    static let chbOfDatabase = Array(String(decoding: chb, as: UTF8.self).replacingOccurrences(of: #"["db.t"]"#, with: #"["db.*"]"#).utf8)

    @Test func aBackupRunsOnEveryShardAndRecordsItsManifest() async throws {
        let cluster = Cluster()
        let result = try await backup(cluster.provider())
        #expect(result.metadata["state"] == "Completed" && result.metadata["type"] == "full")
        for host in cluster.hosts {
            #expect(host.operations.count == 1)
            // The database holds only the selected table: written whole, with its definition.
            #expect(host.operations[0].hasPrefix("BACKUP DATABASE `db` TO S3('http://s3.test/bucket/prefix/ns/demo/nightly/shard-"))
        }
        let manifest = try #require(try await cluster.store.manifest(Self.manifestURL))
        #expect(manifest.state == .completed && manifest.backupID == result.backupID && manifest.shards == 2)
        #expect(manifest.hosts.map(\.status) == [.backupCreated, .backupCreated])
        #expect(manifest.hosts.map { $0.tables.map(\.name.table) } == [["t"], ["t"]])
        #expect(manifest.hosts.map(\.totalSize) == [100, 100] && result.metadata["total_size"] == "200")
        // Rows of each table, from before and after the BACKUP (equal: the content is certain).
        #expect(manifest.hosts.map(\.fingerprints) == [[TableFingerprint(table: TableName(database: "db", table: "t"), rows: 10)],
                                                       [TableFingerprint(table: TableName(database: "db", table: "t"), rows: 20)]])
        #expect(result.metadata["fingerprint.tables"] == "2" && result.metadata["fingerprint.rows"] == "30"
                && result.metadata["fingerprint.mode"] == "rows")
        await cluster.settled()  // the index update and the unlock follow the answer
        #expect(try await cluster.store.get("http://s3.test/bucket/prefix/ns/demo/nightly/lock") == nil)  // released
        let written = String(decoding: try #require(try await cluster.store.get(Self.manifestURL)), as: UTF8.self)
        #expect(!written.contains("never-shown") && !written.contains("AKID"))  // the keys travel in the statement only
    }

    /// A backup with no manifest yet was never started by anyone: its hosts' state read skips
    /// system.backups (a read whose cost grows with every operation the server ran); once a
    /// manifest exists (here: a failed run), the retry looks its attempts up.
    @Test func onlyABackupThatWasRecordedBeforeLooksUpItsAttempts() async throws {
        let cluster = Cluster()
        cluster.hosts[1].setBehaviour(.fail("Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)"))
        await #expect(throws: RPCError.self) { try await backup(cluster.provider()) }
        #expect(cluster.hosts.allSatisfy { !$0.statements.contains { $0.contains("system.backups WHERE startsWith") } })
        cluster.hosts[1].setBehaviour(.succeed)
        #expect(try await backup(cluster.provider()).metadata["state"] == "Completed")
        #expect(cluster.hosts.allSatisfy { $0.statements.contains { $0.contains("system.backups WHERE startsWith") } })
    }

    /// `fingerprint=data` adds a hash of every row; a table whose rows change during the
    /// BACKUP is recorded as changed and counts for nothing.
    @Test func dataFingerprintsAndTablesThatChangeDuringTheBackup() async throws {
        let cluster = Cluster()
        let gate = Gate()
        cluster.hosts[1].setBehaviour(.hold(gate))
        let run = Task { try await backup(cluster.provider(), parameters: ["fingerprint": "data"]) }
        await cluster.hosts[1].started.wait()
        cluster.hosts[1].setRows(25)  // rows arrive while the backup runs
        gate.open()
        let result = try await run.value
        let manifest = try #require(try await cluster.store.manifest(Self.manifestURL))
        let table = TableName(database: "db", table: "t")
        #expect(manifest.hosts.map(\.fingerprints) == [[TableFingerprint(table: table, rows: 10, hash: "h10")],
                                                       [TableFingerprint(table: table, rows: 25, hash: "h25", changed: true)]])
        #expect(result.metadata["fingerprint.tables"] == "1" && result.metadata["fingerprint.changed"] == "db.t"
                && result.metadata["fingerprint.mode"] == "data")
    }

    @Test func theSameBackupAskedAgainIsAnsweredFromItsManifest() async throws {
        let cluster = Cluster()
        let first = try await backup(cluster.provider())
        let again = try await backup(cluster.provider())  // a new process: nothing in memory
        #expect(again.backupID == first.backupID && again.metadata["reused"] == "true")
        #expect(again.startedAt == first.startedAt && again.stoppedAt == first.stoppedAt)
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 })
    }

    /// A shard whose only replica does not answer refuses the backup before anything is
    /// written: no BACKUP anywhere, no manifest, and the lock (taken while the probe ran) gone.
    @Test func aShardNobodyServesRefusesTheBackupAndReleasesTheLock() async throws {
        let cluster = Cluster()
        cluster.hosts[1].goDown()
        await #expect(throws: RPCError.self) { _ = try await backup(cluster.provider()) }
        do { _ = try await backup(cluster.provider()) } catch {
            #expect(error.code == .failedPrecondition && error.message.contains("shard 1: no replica answers") && error.message.contains("nothing was started"))
        }
        #expect(cluster.hosts[0].operations.isEmpty)
        #expect(try await cluster.store.get(Self.manifestURL) == nil)
        #expect(try await cluster.store.get("http://s3.test/bucket/prefix/ns/demo/nightly/lock") == nil)
    }

    /// A second process asked for a backup another one is running finds the lock and the
    /// manifest in progress, follows the same ClickHouse operations to their end, and sends
    /// no statement of its own.
    @Test func aRunInProgressElsewhereIsFollowedNotStartedAgain() async throws {
        let cluster = Cluster()
        let gate = Gate()
        cluster.hosts.forEach { $0.setBehaviour(.hold(gate)) }
        let first = Task { try await backup(cluster.provider()) }
        await cluster.hosts[0].started.wait()
        await cluster.hosts[1].started.wait()
        let second = Task { try await backup(cluster.provider()) }
        gate.open()
        let (a, b) = (try await first.value, try await second.value)
        #expect(a.backupID == b.backupID && a.metadata["state"] == "Completed" && b.metadata["state"] == "Completed")
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 })
        #expect(try await cluster.store.manifest(Self.manifestURL)?.state == .completed)
    }

    /// The lock and the in-progress manifest are written while the hosts read their state,
    /// and no statement starts before both are.
    @Test func theHostsReadTheirStateWhileTheLockIsTakenButStartNothingBeforeIt() async throws {
        let cluster = Cluster()
        let written = Gate()
        cluster.store.holdWrites(endingIn: "manifest.json", until: written)
        let run = Task { try await backup(cluster.provider()) }
        await cluster.hosts[0].stateRead.wait()
        await cluster.hosts[1].stateRead.wait()
        #expect(cluster.hosts.allSatisfy { $0.operations.isEmpty })  // decided, and waiting for the manifest
        written.open()
        #expect(try await run.value.metadata["state"] == "Completed")
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 })
        let order = cluster.store.writes.withLock { $0 }.map { $0.split(separator: "/").last! }.filter { $0 != "index.json" }
        #expect(order.prefix(2) == ["lock", "manifest.json"])
    }

    @Test func aFailingHostFailsTheRunWithClickHousesStatusAndTheManifestSaysSo() async throws {
        let cluster = Cluster()
        cluster.hosts[1].setBehaviour(.fail("Code: 499. DB::Exception: Access Denied. (S3_ERROR) (version 26.9.2.1)"))
        do {
            _ = try await backup(cluster.provider())
            Issue.record("expected a failure")
        } catch {
            #expect(error.code == .permissionDenied)
            #expect(error.message.hasPrefix("BACKUP_FAILED: ClickHouse chi-demo-main-1-0.ns.svc.cluster.local:8123: code 499 S3_ERROR: Access Denied"))
            #expect(!error.message.contains("never-shown"))
        }
        let manifest = try #require(try await cluster.store.manifest(Self.manifestURL))
        #expect(manifest.state == .failed && manifest.hosts.map(\.status) == [.backupCreated, .backupFailed])
        // Retried, the failed host's operation is the next attempt; the backup id stays.
        cluster.hosts[1].setBehaviour(.succeed)
        let retried = try await backup(cluster.provider())
        #expect(retried.metadata["state"] == "Completed")
        #expect(cluster.hosts[1].operations.count == 2 && cluster.hosts[1].operations[1].contains("-a2'"))
        #expect(cluster.hosts[0].operations.count == 1)  // its attempt succeeded: followed, not repeated
    }

    /// With cancel_on_abort, a caller that goes away cancels the run: ClickHouse's operations
    /// are killed and the manifest says Cancelled.
    @Test func aCancelledRunKillsItsQueriesAndRecordsCancelled() async throws {
        let cluster = Cluster()
        let gate = Gate()
        cluster.hosts.forEach { $0.setBehaviour(.hold(gate)) }
        let provider = cluster.provider()
        let run = Task { try await backup(provider, parameters: ["cancel_on_abort": "true"]) }
        await cluster.hosts[0].started.wait()
        await cluster.hosts[1].started.wait()
        run.cancel()
        do {
            _ = try await run.value
            Issue.record("expected a cancellation")
        } catch let error as RPCError {
            #expect(error.code == .cancelled)
        }
        // The caller is answered at once; the run ends when its queries are killed and recorded.
        let id = try #require(provider.registry.list(limit: 1).first?.operationID)
        var last = ""
        for await operation in try #require(provider.registry.watch(id)) { last = operation.state }
        #expect(last == "BACKUP_CANCELLED")
        for host in cluster.hosts {
            #expect(host.statements.contains { $0.hasPrefix("KILL QUERY") })
            #expect(host.status(try #require(ScriptedClickHouse.quoted(after: "id = ", in: host.operations[0]))) == .backupCancelled)
        }
        #expect(try await cluster.store.manifest(Self.manifestURL)?.state == .cancelled)
        #expect(!provider.registry.holdsRun(id))
    }

    /// An ended run's entry keeps its `Operation` and lets go of the run: kept for the last 100
    /// operations, the tasks and their results had grown the resident set by ~100 kB a backup.
    @Test func anEndedRunIsNotHeldByItsEntry() async throws {
        let cluster = Cluster()
        let gate = Gate()
        cluster.hosts.forEach { $0.setBehaviour(.hold(gate)) }
        let provider = cluster.provider()
        let run = Task { try await backup(provider) }
        await cluster.hosts[0].started.wait()
        let id = try #require(provider.registry.list(limit: 1).first?.operationID)
        #expect(provider.registry.holdsRun(id))  // running: CancelOperation needs it
        gate.open()
        _ = try await run.value
        #expect(!provider.registry.holdsRun(id) && provider.registry.get(id)?.state == "BACKUP_COMPLETED")
    }

    /// A restore sends one RESTORE per shard from the backup's parts; called again after it
    /// succeeded, it finds the rows there and restores nothing twice. Onto tables that hold
    /// rows it never appended: refused before anything starts.
    @Test func aRestoreRunsOnceAndARetryAddsNoRows() async throws {
        let cluster = Cluster()
        _ = try await backup(cluster.provider())
        let restore = RestoreRequest(chiDefinition: Self.chi, backupDefinition: Self.chb)
        // The tables hold other rows than the backup's: left as they are, reported, never appended to.
        cluster.hosts.forEach { $0.setRows(5) }
        do {
            _ = try await cluster.provider().restore(restore)
            Issue.record("expected a refusal: the tables hold other rows")
        } catch {
            #expect(error.code == .failedPrecondition && error.message.contains("2 not restored: db.t holds 5 rows, the backup's copy has 10"))
        }
        #expect(cluster.hosts.allSatisfy { !$0.operations.contains { $0.hasPrefix("RESTORE ") } })
        cluster.hosts.forEach { $0.setRows(0) }
        let first = try await cluster.provider().restore(restore)
        #expect(first.metadata["state"] == "Completed" && first.metadata["table.db.t"] == "restored")
        #expect(cluster.hosts.allSatisfy { $0.operations.filter { $0.hasPrefix("RESTORE DATABASE `db` FROM S3(") }.count == 1 })
        (cluster.hosts[0].setRows(10), cluster.hosts[1].setRows(20))  // what the restore brought back
        let again = try await cluster.provider().restore(restore)
        #expect(again.restoreID == first.restoreID && again.metadata["state"] == "Completed" && again.metadata["table.db.t"] == "already present")
        #expect(cluster.hosts.allSatisfy { $0.operations.filter { $0.hasPrefix("RESTORE ") }.count == 1 })
    }

    /// One table conflicts: it is reported and left, the rest is restored; once it is dropped,
    /// calling again restores only it.
    @Test func aRestoreReportsAConflictingTableAndRestoresTheRest() async throws {
        let cluster = Cluster(tables: [("db", "t", "MergeTree", 10), ("db", "u", "MergeTree", 7)])
        _ = try await backup(cluster.provider(), chb: Self.chbOfDatabase)
        for host in cluster.hosts { host.setRows(0); host.setRows(3, table: "u") }
        let restore = RestoreRequest(chiDefinition: Self.chi, backupDefinition: Self.chbOfDatabase)
        do {
            _ = try await cluster.provider().restore(restore)
            Issue.record("expected the conflict to fail the call")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.hasPrefix("restored 1 tables, 0 already present; 2 not restored: db.u holds 3 rows, the backup's copy has 7"))
        }
        #expect(cluster.hosts.allSatisfy { $0.operations.last?.hasPrefix("RESTORE TABLE `db`.`t` FROM S3(") == true })
        for host in cluster.hosts { host.setRows(10, table: "t"); host.setRows(0, table: "u") }  // t restored; u dropped by the user
        let finished = try await cluster.provider().restore(restore)
        #expect(finished.metadata["table.db.t"] == "already present" && finished.metadata["table.db.u"] == "restored")
        #expect(cluster.hosts.allSatisfy { $0.operations.last?.hasPrefix("RESTORE TABLE `db`.`u` FROM S3(") == true })
    }
}
