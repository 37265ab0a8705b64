import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// `include_access` / `include_functions`: the `system` tables ClickHouse backs access entities
/// and functions up through, first in each statement; the restore settings; a restore asking
/// for what its backup lacks is refused before anything starts.
@Suite struct SystemElementsTests {
    typealias Cluster = OperationRunTests.Cluster

    @Test func accessAndFunctionsGoFirstAndComeBackWithTheirSettings() async throws {
        let cluster = Cluster()
        let result = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                                       parameters: ["include_access": "true", "include_functions": "true"]))
        #expect(result.metadata["state"] == "Completed")
        let system = "TABLE `system`.`users`, TABLE `system`.`roles`, TABLE `system`.`settings_profiles`, TABLE `system`.`row_policies`, "
            + "TABLE `system`.`quotas`, TABLE `system`.`functions`, "
        #expect(cluster.hosts.allSatisfy { $0.operations.count == 1 && $0.operations[0].hasPrefix("BACKUP \(system)DATABASE `db` TO S3(") })
        #expect(try await cluster.store.manifest(OperationRunTests.manifestURL)?.includes == ["access", "functions"])
        cluster.hosts.forEach { $0.setRows(0) }
        let restored = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                                           parameters: ["include_access": "true", "create_access": "replace"]))
        #expect(restored.metadata["state"] == "Completed")
        for host in cluster.hosts {
            let restore = try #require(host.operations.last)
            #expect(restore.hasPrefix("RESTORE TABLE `system`.`users`, TABLE `system`.`roles`, TABLE `system`.`settings_profiles`, "
                                      + "TABLE `system`.`row_policies`, TABLE `system`.`quotas`, DATABASE `db` FROM S3("))
            #expect(restore.contains(", restore_access_entities = 1, create_access = 'replace'"))
        }
    }

    @Test func aRestoreAskingForWhatItsBackupLacksIsRefused() async throws {
        let cluster = Cluster()
        _ = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        cluster.hosts.forEach { $0.setRows(0) }
        do {
            _ = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                                    parameters: ["include_functions": "true"]))
            Issue.record("expected a refusal")
        } catch {
            #expect(error.code == .failedPrecondition && error.message.contains("was taken without include_functions"))
        }
        #expect(cluster.hosts.allSatisfy { !$0.operations.contains { $0.hasPrefix("RESTORE ") } })
    }
}
