import BackupDomain
import BackupProtocol
import RPCRuntime
import Testing
@testable import BackupService

/// `archive`: each part written as `backup.FORMAT` in its folder, recorded in the manifest,
/// read back from there by a restore, and named so as an incremental's base.
@Suite struct ArchiveTests {
    typealias Cluster = OperationRunTests.Cluster
    static let part0 = "S3('http://s3.test/bucket/prefix/ns/demo/nightly/shard-0/"

    @Test func partsAreArchivesAndRestoresAndBasesFindThem() async throws {
        let cluster = Cluster()
        let result = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb,
                                                                       parameters: ["archive": "tar.zst", "type": "full"]))
        #expect(result.metadata["state"] == "Completed")
        #expect(cluster.hosts[0].operations[0].contains("TO \(Self.part0)backup.tar.zst', 'AKID', 'never-shown')"))
        let manifest = try #require(try await cluster.store.manifest(OperationRunTests.manifestURL))
        #expect(manifest.archive == "tar.zst" && manifest.record.archive == "tar.zst")
        cluster.hosts.forEach { $0.setRows(0) }
        _ = try await cluster.provider().restore(RestoreRequest(chiDefinition: OperationRunTests.chi, backupDefinition: OperationRunTests.chb))
        #expect(cluster.hosts[0].operations.last?.contains("FROM \(Self.part0)backup.tar.zst', 'AKID', 'never-shown')") == true)
        // The next backup of the CHI (another name) builds on it, and names the archive as its base.
        let next = Array(String(decoding: OperationRunTests.chb, as: UTF8.self).replacingOccurrences(of: "\"nightly\"", with: "\"nightly-2\"").utf8)
        let incremental = try await cluster.provider().backup(BackupRequest(chiDefinition: OperationRunTests.chi, backupDefinition: next,
                                                                            parameters: ["type": "incremental"]))
        #expect(incremental.metadata["base_backup"] == "nightly")
        let statement = try #require(cluster.hosts[0].operations.last)
        #expect(statement.contains("TO S3('http://s3.test/bucket/prefix/ns/demo/nightly-2/shard-0/', 'AKID', 'never-shown')"))
        #expect(statement.contains("base_backup = \(Self.part0)backup.tar.zst', 'AKID', 'never-shown')"))
    }
}
