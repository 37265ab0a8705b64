import Testing
@testable import BackupDomain
import CryptoDigest

/// Replica choice once the executor knows who answers, and shard mapping for restores.
@Suite struct HostAssignmentTests {
    func plan(_ operation: OperationParameters.Operation = .backup, _ parameters: [String: String] = [:]) throws(DomainError) -> OperationPlan {
        try Planner.plan(operation, Planner.Request(chiDefinition: Fixture.bytes("chi-2x2-explicit.json"),
                                                    backupDefinition: Fixture.bytes("chb-full.json"), parameters: parameters, digest: .openSSL),
                         now: 1_795_356_987)
    }

    let r00 = "chi-repl-main-0-0.analytics.svc.cluster.local", r01 = "chi-repl-main-0-1.analytics.svc.cluster.local"
    let r10 = "chi-repl-main-1-0.analytics.svc.cluster.local", r11 = "chi-repl-main-1-1.analytics.svc.cluster.local"

    @Test func everyReplicaIsACandidateAndTheFirstOfEachShardIsPlanned() throws {
        let plan = try plan()
        #expect(plan.candidates.map(\.host.fqdn) == [r00, r01, r10, r11])
        #expect(plan.hosts.map(\.host.fqdn) == [r00, r10])
        #expect(plan.candidates[1].location == plan.candidates[0].location)  // a shard's backup, whichever replica writes it
        #expect(plan.candidates[1].operationID == "\(plan.id)-s0-r1")
    }

    @Test func allAnsweringTakesTheFirstReplicaOfEachShard() throws {
        let assignment = try plan().assign(unreachable: [:])
        #expect(assignment.data.map(\.host.fqdn) == [r00, r10])
        #expect(assignment.schema.isEmpty && assignment.skipped.isEmpty && assignment.unavailable.isEmpty)
    }

    @Test func aDownReplicaIsSkippedWithItsReasonAndTheNextTakesOver() throws {
        let assignment = try plan().assign(unreachable: [r00: "connection refused"])
        #expect(assignment.data.map(\.host.fqdn) == [r01, r10])
        #expect(assignment.data[0].statement?.redacted.contains("SETTINGS id = '\(try plan().id)-s0-r1'") == true)
        #expect(assignment.skipped == [HostAssignment.Skipped(host: try plan().candidates[0].host, reason: "connection refused")])
        #expect(assignment.unavailable.isEmpty)
    }

    @Test func aShardWithNoReplicaAnsweringMakesTheOperationUnavailable() throws {
        let assignment = try plan().assign(unreachable: [r10: "timeout", r11: "refused"])
        #expect(assignment.unavailable == ["shard 1: no replica answers: \(r10) (timeout), \(r11) (refused)"])
    }

    @Test func withAllReplicasEveryDownReplicaIsUnavailable() throws {
        let assignment = try plan(.backup, ["replicas": "all"]).assign(unreachable: [r01: "refused"])
        #expect(assignment.data.count == 3)
        #expect(assignment.unavailable == ["shard 0: \(r01) (refused)"])
    }

    @Test func restoreGivesDataToOneReplicaAndStructureToTheOthers() throws {
        let assignment = try plan(.restore).assign(unreachable: [:])
        #expect(assignment.data.map(\.host.fqdn) == [r00, r10])
        #expect(assignment.schema.map(\.host.fqdn) == [r01, r11])
        #expect(assignment.schema.allSatisfy { $0.role == .schema })
        #expect(assignment.schema[0].statement?.redacted.hasSuffix("SETTINGS id = '\(assignment.schema[0].operationID)', structure_only = 1 ASYNC") == true)
        #expect(assignment.schema[0].location == assignment.data[0].location)
    }

    @Test func shardCountsMustMatchUnlessMapped() throws {
        let plain = try plan(.restore)
        #expect(plain.shardMismatch(backupShards: 2) == nil)
        #expect(plain.shardMismatch(backupShards: 3)?.hasPrefix("the backup has 3 shards and cluster \"main\" has 2") == true)

        let mapped = try plan(.restore, ["shard_mapping": "0:1"])
        #expect(mapped.shardMismatch(backupShards: 1) == nil)
        #expect(mapped.hosts.map(\.host.fqdn) == [r10])  // shard 0 of the cluster gets nothing
        #expect(mapped.hosts[0].sourceShard == 0 && mapped.hosts[0].location.hasSuffix("/shard-0/"))
        #expect(mapped.shardMismatch(backupShards: 2)?.contains("leaves backup shards 1 unrestored") == true)
        #expect(try plan(.restore, ["shard_mapping": "3:0"]).shardMismatch(backupShards: 2)?.contains("names backup shard 3") == true)
    }

    @Test func twoBackupShardsMergeIntoOneClusterShardOneAfterTheOther() throws {
        let plan = try plan(.restore, ["shard_mapping": "0:1,1:1"])
        #expect(plan.hosts.map(\.host.fqdn) == [r10, r10])
        #expect(plan.hosts.map(\.sourceShard) == [0, 1])
        #expect(plan.hosts[0].operationID == "\(plan.id)-s1-r0-from0")
        #expect(plan.hosts[0].statement?.redacted.hasSuffix("SETTINGS id = '\(plan.id)-s1-r0-from0' ASYNC") == true)
        #expect(plan.hosts[1].statement?.redacted.hasSuffix("SETTINGS id = '\(plan.id)-s1-r0-from1', allow_non_empty_tables = 1 ASYNC") == true)
        #expect(plan.shardMismatch(backupShards: 2) == nil)
        let assignment = plan.assign(unreachable: [:])
        #expect(assignment.data.map(\.operationID) == ["\(plan.id)-s1-r0-from0", "\(plan.id)-s1-r0-from1"])
        #expect(assignment.schema.map(\.host.fqdn) == [r11])  // the other replica: structure once
    }

    @Test func badShardMappingsAreRefusedWithTheirPath() {
        #expect(throws: DomainError.self) { try plan(.restore, ["shard_mapping": "0:0,0:1"]) }
        #expect(throws: DomainError.self) { try plan(.restore, ["shard_mapping": "0:5"]) }
        #expect(throws: DomainError.self) { try plan(.restore, ["shard_mapping": "a:b"]) }
        #expect(throws: DomainError.self) { try plan(.backup, ["shard_mapping": "0:0"]) }
        #expect(throws: DomainError.self) { try plan(.backup, ["parallel_shards": "0"]) }
        do {
            _ = try plan(.restore, ["shard_mapping": "0:0,0:1"])
        } catch {
            #expect(error.issues.map(\.path) == ["parameters[\"shard_mapping\"]"])
        }
    }
}

/// A new CHI born from a backup: `spec.bootstrap.recovery.backupRef`.
@Suite struct BootstrapRecoveryTests {
    func restore(_ reference: String, parameters: [String: String] = [:]) throws(DomainError) -> OperationPlan {
        let chi = #"{"metadata":{"name":"fresh","namespace":"ns"},"spec":{"bootstrap":{"recovery":{"backupRef":\#(reference)}},"# +
            #""configuration":{"clusters":[{"name":"main","layout":{"shardsCount":1,"replicasCount":1}}]}}}"#
        let chb = #"{"metadata":{"name":"nightly","namespace":"ns"},"spec":{"ClickhouseInstallation":{"name":"old"},"# +
            #""backup":{"s3":{"destinationPath":"s3://bucket/p/"}}}}"#
        return try Planner.plan(.restore, Planner.Request(chiDefinition: Array(chi.utf8), backupDefinition: Array(chb.utf8), parameters: parameters, digest: .openSSL),
                                now: 1_795_356_987)
    }

    @Test func theReferenceNamesTheBackupToRestoreFromTheOldCHI() throws {
        let plan = try restore(#"{"name":"nightly-20261101-030000"}"#)
        #expect(plan.backupName == "nightly-20261101-030000")
        #expect(plan.location == "s3://bucket/p/ns/old/nightly-20261101-030000/")
        #expect(try restore(#""nightly-x""#).backupName == "nightly-x")
        #expect(try restore(#"{"name":"a"}"#, parameters: ["backup_name": "b"]).backupName == "b")  // the parameter wins
    }

    @Test func aBadReferenceIsRefusedWithItsPath() {
        do {
            _ = try restore(#"{"name":"Bad_Name"}"#)
            Issue.record("expected a failure")
        } catch {
            #expect(error.issues.map(\.path) == ["chi_definition: spec.bootstrap.recovery.backupRef.name"])
        }
    }
}

/// Issue 10 item 9: tables that are not replicated hold each replica's own rows; with
/// replicas=first only the first replica's were backed up, and nothing said so.
@Suite struct ReplicaCopyAssignmentTests {
    func plan(_ operation: OperationParameters.Operation = .backup, _ parameters: [String: String] = [:]) throws(DomainError) -> OperationPlan {
        try HostAssignmentTests().plan(operation, parameters)
    }

    @Test func aBackupGivesEveryOtherAnsweringReplicaItsOwnCopy() throws {
        let plan = try plan()
        let assignment = plan.assign(unreachable: [:])
        #expect(assignment.data.map(\.host.replicaIndex) == [0, 0])
        #expect(assignment.local.map { "\($0.host.shardIndex).\($0.host.replicaIndex)" } == ["0.1", "1.1"])
        #expect(assignment.local.allSatisfy { $0.role == .local && $0.statement == nil })
        #expect(assignment.local[0].location == "s3://backups/ch/analytics/repl/nightly/shard-0-replica-1/")
        #expect(assignment.local[0].operationID == "\(plan.id)-s0-r1-local")
        #expect(assignment.local[0].settings.first { $0.name == "id" }?.value == .string("\(plan.id)-s0-r1-local"))
        // A replica that does not answer has no copy (the result warns); the next takes the data.
        let down = plan.assign(unreachable: [HostAssignmentTests().r00: "refused"])
        #expect(down.data.map(\.host.replicaIndex) == [1, 0] && down.local.map(\.host.shardIndex) == [1])
    }

    @Test func firstReplicaAndRefuseWriteNoCopies() throws {
        #expect(try plan(.backup, ["local_tables": "first_replica"]).assign(unreachable: [:]).local.isEmpty)
        #expect(try plan(.backup, ["local_tables": "refuse"]).assign(unreachable: [:]).local.isEmpty)
        #expect(try plan(.backup, ["replicas": "all"]).assign(unreachable: [:]).local.isEmpty)
        #expect(throws: DomainError.self) { try plan(.backup, ["local_tables": "some"]) }
    }

    @Test func aRestoreGivesEachCopyBackToItsReplicaAndTheDataToItsWriter() throws {
        let plan = try plan(.restore)
        let layout = BackupLayout(dataReplica: [0: 1, 1: 0], localCopies: [0: [0], 1: [1]])
        let assignment = plan.assign(unreachable: [:], layout: layout)
        #expect(assignment.data.map { "\($0.host.shardIndex).\($0.host.replicaIndex)" } == ["0.1", "1.0"])
        #expect(assignment.schema.map { "\($0.host.shardIndex).\($0.host.replicaIndex)" } == ["0.0", "1.1"])
        #expect(assignment.local.map { "\($0.host.shardIndex).\($0.host.replicaIndex)" } == ["0.0", "1.1"])
        #expect(assignment.local[0].location.hasSuffix("/nightly/shard-0-replica-0/"))
        #expect(assignment.unrestoredCopies.isEmpty)
        // The writer is down: the other replica takes the data, and its own copy cannot go back.
        let down = plan.assign(unreachable: [HostAssignmentTests().r01: "refused"], layout: layout)
        #expect(down.data.map(\.host.replicaIndex) == [0, 0] && down.local.map(\.host.shardIndex) == [1])
        #expect(down.unrestoredCopies == ["shard 0 replica 0: that replica took the shard's data, which holds the rows of the replica that wrote it"])
    }
}
