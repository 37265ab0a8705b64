import BackupClients
import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// What a restore reads of `system.backups`, whose every read costs the server time in
/// proportion to its history: nothing, when its targets are empty and its statement is small
/// (the first attempt is guessed, its sizes are its backup's); the attempts, when a guess meets
/// an id ClickHouse knows or a target holds rows.
@Suite struct RestoreReadsTests {
    typealias Cluster = OperationRunTests.Cluster

    func restore(_ cluster: Cluster) async throws(RPCError) -> RestoreResult {
        try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
    }

    func backupsReads(_ host: ScriptedClickHouse, from: Int) -> [String] {
        host.statements.dropFirst(from).filter { $0.contains("system.backups") }
    }

    @Test func aSmallRestoreIntoEmptyTablesReadsNoSystemBackups() async throws {
        let cluster = Cluster()
        cluster.hosts.forEach { $0.setBytes(4096) }
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        cluster.hosts.forEach { $0.setRows(0) }
        let before = cluster.hosts.map(\.statements.count)
        let result = try await restore(cluster)
        #expect(result.metadata["state"] == "Completed" && result.metadata["table.db.t"] == "restored")
        // The sizes are the backup's, as ClickHouse reports a RESTORE (the scripted server: 3 files, 100 bytes a host).
        #expect(result.metadata["num_files"] == "6" && result.metadata["total_size"] == "200"
                && result.metadata["compressed_size"] == "120" && result.metadata["uncompressed_size"] == "400")
        for (host, from) in zip(cluster.hosts, before) {
            #expect(host.operations.last.map { !$0.hasSuffix(" ASYNC") } == true)
            #expect(backupsReads(host, from: from) == [])
        }
    }

    /// A first attempt that failed: the retry's guess of attempt 1 is refused, and the host
    /// decides again knowing it: attempt 2, once.
    @Test func aGuessRefusedDecidesAgainKnowingTheAttempts() async throws {
        let cluster = Cluster()
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        cluster.hosts.forEach { $0.setRows(0) }
        cluster.hosts[1].setBehaviour(.fail("Code: 499. DB::Exception: Access Denied. (S3_ERROR) (version 26.9.2.1)"))
        await #expect(throws: RPCError.self) { try await restore(cluster) }
        cluster.hosts[1].setBehaviour(.succeed)
        let result = try await restore(cluster)
        #expect(result.metadata["state"] == "Completed")
        let restores = cluster.hosts[1].operations.filter { $0.hasPrefix("RESTORE ") }
        #expect(restores.count == 3)  // attempt 1, its guess again (refused by its id), attempt 2
        #expect(restores[1].contains("id = '\(result.metadata["host.1.0.id"]!.replacingOccurrences(of: "-a2", with: ""))'"))
        #expect(result.metadata["host.1.0.id"]!.hasSuffix("-a2") && restores[2].contains("-a2'"))
        #expect(cluster.hosts[1].statements.contains { $0.contains("system.backups WHERE startsWith") })
        // The first host restored at its first call, but its table is empty again (the scripted
        // server adds no rows): restored again, as when the attempts are read first.
        #expect(result.metadata["host.0.0.id"]?.hasSuffix("-a2") == true)
    }

    /// A retry while the first attempt still runs: the guess is refused, and the running one followed.
    @Test func aGuessMeetingARunningAttemptFollowsIt() async throws {
        let cluster = Cluster()
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        cluster.hosts.forEach { $0.setRows(0) }
        let gate = Gate()
        cluster.hosts.forEach { $0.setBytes(Int64(1) << 40); $0.setBehaviour(.hold(gate)) }
        func restores(_ count: Int) async throws {
            while !cluster.hosts.allSatisfy({ $0.operations.filter { $0.hasPrefix("RESTORE ") }.count == count }) { try await Task.sleep(for: .milliseconds(2)) }
        }
        let first = Task { try await restore(cluster) }
        try await restores(1)
        let second = Task { try await restore(cluster) }
        try await restores(2)
        gate.open()
        let (a, b) = (try await first.value, try await second.value)
        #expect(a.metadata["state"] == "Completed" && b.metadata["state"] == "Completed" && b.metadata["reused"] == "true")
        #expect(cluster.hosts.allSatisfy { host in host.operations.filter { $0.hasPrefix("RESTORE ") }.count == 2 })
        #expect(a.metadata["host.0.0.id"] == b.metadata["host.0.0.id"])
    }

    /// A target holding rows: the attempts are read before anything is decided.
    @Test func aTargetHoldingRowsReadsTheAttemptsFirst() async throws {
        let cluster = Cluster()
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        let before = cluster.hosts.map(\.statements.count)
        let result = try await restore(cluster)  // the tables hold the backup's rows
        #expect(result.metadata["table.db.t"] == "already present")
        for (host, from) in zip(cluster.hosts, before) {
            #expect(backupsReads(host, from: from).contains { $0.contains("WHERE startsWith") })
            #expect(!host.operations.contains { $0.hasPrefix("RESTORE ") })
        }
    }

    /// A host that reads its attempts reads them before its tables, in a query of their own:
    /// the halves of one UNION ALL are read in no set order, and a restore that ended between
    /// them showed as RESTORED beside targets still empty (restored again; ClickHouse refused
    /// it, the table "already contains some data": seen in e2e, the restore killed mid-run).
    @Test func theAttemptsAreReadBeforeTheTables() async throws {
        let cluster = Cluster()
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        let before = cluster.hosts.map(\.statements.count)
        _ = try await restore(cluster)  // the targets hold rows: the attempts are read
        for (host, from) in zip(cluster.hosts, before) {
            let reads = Array(host.statements.dropFirst(from))
            let attempts = try #require(reads.firstIndex { $0.hasPrefix("SELECT id, status FROM system.backups WHERE startsWith") })
            let tables = try #require(reads.lastIndex { $0.hasPrefix(ScriptedClickHouse.stateReadPrefix) })
            #expect(attempts < tables)
            #expect(reads.filter { $0.hasPrefix(ScriptedClickHouse.stateReadPrefix) }.allSatisfy { !$0.contains("system.backups") })
        }
    }
}
