import Testing
@testable import BackupDomain

/// The manifest's one schema: what is written reads back the same, older manifests still read,
/// and statuses this build does not know survive.
@Suite struct BackupManifestTests {
    private func sample() -> BackupManifest {
        var data = BackupManifest.HostEntry(shard: 0, replica: 1, fqdn: "chi-a-c-0-1.ns.svc.cluster.local", role: .data,
                                            clickHouseID: "chb-x-s0-r1-a2", location: "s3://b/p/shard-0/", status: .backupCreated,
                                            tables: [ServerTable(name: TableName(database: "db", table: "t"), engine: "MergeTree")],
                                            databases: ["db"])
        data.totalSize = 40
        data.numFiles = 3
        let local = BackupManifest.HostEntry(shard: 0, replica: 0, fqdn: "chi-a-c-0-0.ns.svc.cluster.local", role: .local,
                                             clickHouseID: "chb-x-s0-r0-local", location: "s3://b/p/shard-0-replica-0/",
                                             status: BackupStatus(rawValue: "SOME_FUTURE_STATUS"), error: "oops")
        return BackupManifest(pluginVersion: "1.2.3", state: .failed, backupID: "chb-x", backupName: "nightly",
                              chi: ("ns", "a", "c"), chb: ("ns", "nightly", nil), location: "s3://b/p/", kind: .incremental,
                              base: ("full-1", "chb-f"), tables: "db.*", compression: "zstd", startedAt: 100, stoppedAt: 160, shards: 1,
                              hosts: [data, local],
                              skipped: [BackupManifest.SkippedEntry(fqdn: "chi-a-c-0-2.ns.svc.cluster.local", shard: 0, replica: 2, reason: "down")],
                              error: "1 host failed")
    }

    @Test func whatIsWrittenReadsBackTheSame() throws {
        let manifest = sample()
        let read = try #require(BackupManifest(json: try JSONParser.parse(JSONWriter.string(manifest.json))))
        #expect(read == manifest)
        #expect(read.hosts[1].status.rawValue == "SOME_FUTURE_STATUS" && !read.hosts[1].status.isTerminal)
        #expect(read.record == BackupRecord(name: "nightly", id: "chb-x", state: .failed, kind: .incremental, base: "full-1", startedAt: 100,
                                            stoppedAt: 160, totalSize: 40, shards: 1, location: "s3://b/p/"))
    }

    @Test func partsKeyEachHostsTablesAndLayout() {
        var manifest = sample()
        manifest.hosts[1].status = .backupCreated
        let parts = manifest.parts
        #expect(parts.tables["0"]?.map(\.name.table) == ["t"] && parts.wholeDatabases["0"] == ["db"])
        #expect(parts.tables["0/r0"] == [])
        #expect(parts.layout.dataReplica == [0: 1] && parts.layout.localCopies == [0: [0]])
        manifest.hosts[1].status = .noLocalTables  // wrote nothing: no copy to give back
        #expect(manifest.parts.layout.localCopies.isEmpty)
    }

    /// Format 1 before roles, engines and whole databases were recorded.
    @Test func olderManifestsStillRead() throws {
        let old = try JSONParser.parse(#"""
        {"format":1,"state":"Completed","backup_id":"chb-o","backup_name":"old","type":"full","started_at":5,
         "hosts":[{"shard":0,"replica":0,"status":"BACKUP_CREATED","tables":[["db","t"]],"total_size":9}]}
        """#)
        let manifest = try #require(BackupManifest(json: old))
        #expect(manifest.state == .completed && manifest.shards == 1 && manifest.compression == "default")
        #expect(manifest.hosts[0].role == .data && manifest.hosts[0].tables == [ServerTable(name: TableName(database: "db", table: "t"), engine: "")])
        #expect(BackupManifest(json: try JSONParser.parse(#"{"backup_name":"x"}"#)) == nil)  // no id: not a manifest
        #expect(BackupManifest(json: try JSONParser.parse(#"{"backup_name":"x","backup_id":"y","state":"Weird"}"#))?.state == .unknown)
    }
}
