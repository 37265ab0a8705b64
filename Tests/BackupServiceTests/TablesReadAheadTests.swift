import BackupClients
import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// Each host's `system.tables` read starts at the same time as the replica probe
/// (``TablesReadAhead``), and is used only where nothing can have changed since.
@Suite struct TablesReadAheadTests {
    typealias Cluster = OperationRunTests.Cluster

    func backup(_ cluster: Cluster) async throws(RPCError) -> BackupResult {
        try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
    }

    func stateReads(_ host: ScriptedClickHouse, from: Int = 0) -> [Int] {
        host.statements.indices.dropFirst(from).filter { host.statements[$0].hasPrefix(ScriptedClickHouse.stateReadPrefix) }
    }

    /// Whether `gate` opens within `seconds` (a test that waited without bound would hang
    /// where the behaviour is missing, not fail).
    func opens(_ gate: Gate, within seconds: Int = 5) async throws -> Bool {
        let clock = ContinuousClock(), deadline = clock.now + .seconds(seconds)
        while !gate.isOpen, clock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        return gate.isOpen
    }

    /// While the probe has not answered, every host has read its tables and started nothing;
    /// once it answers, the backup uses those reads (one per host) and completes.
    @Test func theTablesAreReadWhileTheReplicasAreProbed() async throws {
        let cluster = Cluster()
        let probed = Gate()
        cluster.hosts.forEach { $0.holdProbes(until: probed) }
        let run = Task { try await backup(cluster) }
        for host in cluster.hosts { #expect(try await opens(host.stateRead)) }
        #expect(cluster.hosts.allSatisfy { $0.operations.isEmpty })
        probed.open()
        let result = try await run.value
        #expect(result.metadata["state"] == "Completed")
        for host in cluster.hosts {
            #expect(host.operations.count == 1)
            #expect(stateReads(host).count == 1)
        }
    }

    /// A retry reads its attempts first and its tables after them (an attempt seen ended had
    /// put its rows there before they were read): the read taken ahead, before the attempts,
    /// is not what it decides from.
    @Test func aRetryReadsItsTablesAfterItsAttempts() async throws {
        let cluster = Cluster()
        cluster.hosts[1].setBehaviour(.fail("Code: 499. DB::Exception: Access Denied. (S3_ERROR) (version 26.9.2.1)"))
        await #expect(throws: RPCError.self) { try await backup(cluster) }
        cluster.hosts[1].setBehaviour(.succeed)
        let before = cluster.hosts[1].statements.count
        #expect(try await backup(cluster).metadata["state"] == "Completed")
        let statements = cluster.hosts[1].statements
        let attempts = try #require(statements.indices.dropFirst(before).first { statements[$0].contains("system.backups WHERE startsWith") })
        let lastTables = try #require(stateReads(cluster.hosts[1], from: before).last)
        #expect(attempts < lastTables)
        #expect(cluster.hosts[1].operations.last?.contains("-a2'") == true)
    }

    /// Each host's read is given once: a host's second operation (a restore of several
    /// backup shards into one) reads its tables again, after the first wrote them.
    @Test func aHostsReadIsGivenOnce() async throws {
        let cluster = Cluster()
        let plan = try Planner.plan(.backup, Planner.Request(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                             parameters: [:], digest: .openSSL), now: 1_796_000_000)
        let runner = OperationRunner(plan: plan, environment: cluster.environment(), startedAt: 1_796_000_000, now: { 1_796_000_000 })
        let resolved = try runner.resolveSecrets()
        let ahead = try #require(runner.tablesReadAhead(runner.manifestStore(resolved), resolved))
        defer { ahead.cancel() }
        let host = runner.plan.candidates[0].host
        let first = try #require(ahead.take(host))
        #expect(ahead.take(host) == nil)
        #expect(await first.value()?.isEmpty == false)
    }
}
