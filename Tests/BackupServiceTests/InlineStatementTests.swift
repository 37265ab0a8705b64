import BackupClients
import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// Small operations are sent without ASYNC and awaited: no poll of system.backups before
/// they end, one read after; their failures, refusals and lost answers end as the ASYNC
/// path's do. (`HostOperation+Inline.swift`)
@Suite struct InlineStatementTests {
    typealias Cluster = OperationRunTests.Cluster

    func backup(_ cluster: Cluster, parameters: [String: String] = [:]) async throws(RPCError) -> BackupResult {
        try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                          parameters: parameters))
    }

    func polls(_ host: ScriptedClickHouse) -> Int { host.statements.filter { $0.hasPrefix("SELECT status, error") }.count }
    func endReads(_ host: ScriptedClickHouse) -> Int { host.statements.filter { $0.hasPrefix("SELECT 'operation' AS kind") }.count }

    func rowReads(_ host: ScriptedClickHouse) -> Int { host.statements.filter { $0.hasPrefix("SELECT database, name, ifNull(toString(total_rows)") }.count }

    /// Its end, after its answer: its sizes from the `.backup` file it wrote, the rows after it
    /// for the fingerprints at the same time, and no read of system.backups at all.
    @Test func aSmallBackupIsAwaitedAndItsSizesReadFromItsBackupFile() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(4096); $0.writeBackupFiles(to: cluster.store) }
        let result = try await backup(cluster)
        #expect(result.metadata["state"] == "Completed")
        for host in cluster.hosts {
            #expect(host.operations.count == 1 && !host.operations[0].hasSuffix(" ASYNC"))
            #expect(!host.statements.contains { $0.contains("system.backups") } && rowReads(host) == 1)
        }
        let manifest = try #require(try await cluster.store.manifest(OperationRunTests.manifestURL))
        let file = Int64(ScriptedClickHouse.backupFile.count)
        #expect(manifest.hosts.map(\.numFiles) == [4, 4] && manifest.hosts.map(\.totalSize) == [30, 30])
        #expect(manifest.hosts.allSatisfy { $0.compressedSize == 10 + file && $0.uncompressedSize == 10 + file })
        #expect(manifest.hosts.map(\.status) == [.backupCreated, .backupCreated])
        #expect(manifest.hosts.allSatisfy { host in !host.fingerprints.isEmpty && host.fingerprints.allSatisfy { $0.rows != nil && !$0.changed } })
        #expect(result.metadata["num_files"] == "8" && result.metadata["total_size"] == "60")
    }

    /// Without a readable `.backup` file (or without the bucket's credentials) its end is read
    /// from system.backups once, with the rows after it.
    @Test func aSmallBackupWithoutItsFileIsReadOnce() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(4096) }
        let result = try await backup(cluster)
        #expect(result.metadata["state"] == "Completed")
        for host in cluster.hosts {
            #expect(host.operations.count == 1 && !host.operations[0].hasSuffix(" ASYNC"))
            #expect(polls(host) + endReads(host) == 1 && rowReads(host) + endReads(host) == 1)
        }
        let manifest = try #require(try await cluster.store.manifest(OperationRunTests.manifestURL))
        #expect(manifest.hosts.map(\.totalSize) == [100, 100] && manifest.hosts.map(\.status) == [.backupCreated, .backupCreated])
        #expect(manifest.hosts.allSatisfy { host in !host.fingerprints.isEmpty && host.fingerprints.allSatisfy { $0.rows != nil && !$0.changed } })
    }

    /// With fingerprints off the end is the plain status read; an ASYNC backup reads the rows after its end.
    @Test func theRowsAfterComeWithTheEndOnlyWhenTheyAreWanted() async throws {
        let off = Cluster()
        off.hosts.forEach { $0.setBytes(4096) }
        _ = try await backup(off, parameters: ["fingerprint": "none"])
        #expect(off.hosts.allSatisfy { polls($0) == 1 && endReads($0) == 0 })
        let async = Cluster()
        async.hosts.forEach { $0.setBytes(Int64(1) << 40) }
        _ = try await backup(async)
        #expect(async.hosts.allSatisfy { endReads($0) == 0 && $0.statements.contains { $0.hasPrefix("SELECT database, name, ifNull(toString(total_rows)") } })
    }

    @Test func largeOrUnknownOrThrottledOnesRunAsync() async throws {
        for (bytes, parameters) in [(Int64(1) << 40, [:]), (nil, [:]), (Int64(10_000_000), ["max_backup_bandwidth": "1M"])] {
            let cluster = Cluster()
            cluster.hosts.forEach { $0.setBytes(bytes) }
            #expect(try await backup(cluster, parameters: parameters).metadata["state"] == "Completed")
            #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 && $0.operations[0].hasSuffix(" ASYNC") })
        }
    }

    /// `inlineBytes = 0` turns inline statements off, even for tables of no bytes.
    @Test func aZeroBoundTurnsItOff() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(0) }
        var environment = cluster.environment()
        environment.poll.inlineBytes = 0
        let provider = BackupServiceProvider(environment: environment, now: { 1_796_000_000 })
        _ = try await provider.backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 && $0.operations[0].hasSuffix(" ASYNC") })
    }

    /// A restore has a bound of its own (`inlineRestoreBytes`), on the size its backup recorded
    /// (100 bytes a part on the scripted server): above the backups' bound it is still awaited;
    /// above its own, or with its own at 0, it runs ASYNC.
    @Test func aRestoreHasABoundOfItsOwn() async throws {
        for (bound, async) in [(Int64(1) << 20, false), (Int64(99), true), (Int64(0), true)] {
            let cluster = Cluster()
            cluster.hosts.forEach { $0.setBytes(4096) }
            var environment = cluster.environment()
            environment.poll.inlineBytes = 50
            environment.poll.inlineRestoreBytes = bound
            let provider = BackupServiceProvider(environment: environment, now: { 1_796_000_000 })
            _ = try await provider.backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
            cluster.hosts.forEach { $0.setRows(0) }
            let result = try await provider.restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
            #expect(result.metadata["state"] == "Completed" && result.metadata["total_size"] == "200")
            for host in cluster.hosts {
                let statements = host.operations.filter { $0.hasPrefix("RESTORE ") }
                #expect(statements.count == 1 && statements[0].hasSuffix(" ASYNC") == async, "bound \(bound): \(statements)")
            }
        }
    }

    /// An awaited restore whose run is cancelled stops waiting and is killed by its id, as an
    /// ASYNC one is: the run ends cancelled, and so does ClickHouse's operation.
    @Test func anAwaitedRestoreIsKilledWhenItsRunIsCancelled() async throws {
        let cluster = Cluster()
        let provider = cluster.provider()
        _ = try await provider.backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        let gate = Gate()
        cluster.hosts.forEach { $0.setRows(0); $0.setBehaviour(.hold(gate)) }
        let run = Task {
            try await provider.restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                      parameters: ["cancel_on_abort": "true"]))
        }
        while !cluster.hosts.allSatisfy({ $0.operations.contains { $0.hasPrefix("RESTORE ") } }) { try await Task.sleep(for: .milliseconds(1)) }
        run.cancel()
        await #expect(throws: RPCError.self) { _ = try await run.value }
        let id = try #require(provider.registry.list(limit: 1).first?.operationID)
        var last = ""
        for await operation in try #require(provider.registry.watch(id)) { last = operation.state }
        #expect(last == "RESTORE_CANCELLED")
        for host in cluster.hosts {
            let restore = try #require(host.operations.last)
            #expect(restore.hasPrefix("RESTORE ") && !restore.hasSuffix(" ASYNC"))
            #expect(host.statements.contains { $0.hasPrefix("KILL QUERY") })
            #expect(host.status(try #require(ScriptedClickHouse.quoted(after: "id = ", in: restore))) == .restoreCancelled)
        }
        gate.open()
    }

    /// A failure ClickHouse registered ends the run as an ASYNC one's does (status, error,
    /// code), and the retry is the next attempt.
    @Test func aFailureEndsAsTheAsyncPathsDoes() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(4096) }
        cluster.hosts[1].setBehaviour(.fail("Code: 499. DB::Exception: Access Denied. (S3_ERROR) (version 26.9.2.1)"))
        do {
            _ = try await backup(cluster)
            Issue.record("expected a failure")
        } catch {
            #expect(error.code == .permissionDenied)
            #expect(error.message.hasPrefix("BACKUP_FAILED: ClickHouse chi-demo-main-1-0.ns.svc.cluster.local:8123: code 499 S3_ERROR: Access Denied"))
        }
        #expect(try await cluster.store.manifest(OperationRunTests.manifestURL)?.hosts.map(\.status) == [.backupCreated, .backupFailed])
        cluster.hosts[1].setBehaviour(.succeed)
        #expect(try await backup(cluster).metadata["state"] == "Completed")
        #expect(cluster.hosts[1].operations.count == 2 && cluster.hosts[1].operations[1].contains("-a2'"))
    }

    /// An answer lost on the way (a timeout) is not the operation's end: it is followed in
    /// system.backups to the end it had.
    @Test func aLostAnswerIsFollowed() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(4096); $0.loseAnswers() }
        #expect(try await backup(cluster).metadata["state"] == "Completed")
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 && polls($0) + endReads($0) == 1 })
    }
}
