import BackupClients
import BackupDomain
import PluginSupport
import Testing
@testable import BackupService

/// The CHI's index: built from the manifests on the first listing, kept by manifest writes,
/// and never trusted over the folders: a folder it lacks and a backup it does not say completed are
/// read from their manifests, a deleted backup leaves it.
@Suite struct CatalogIndexTests {
    let s3 = S3Destination(bucket: "bucket", prefix: "p/", endpoint: "http://s3.test", credentials: nil)
    let catalogKey = "ns/demo/"

    func record(_ name: String, _ state: ManifestState = .completed, at: Int64 = 1) -> BackupRecord {
        BackupRecord(name: name, id: "id-\(name)", state: state, kind: .full, base: nil, startedAt: at, stoppedAt: at + 1, totalSize: 1, shards: 1,
                     location: "s3://bucket/p/ns/demo/\(name)/")
    }

    func manifest(_ record: BackupRecord) -> BackupManifest {
        BackupManifest(pluginVersion: "t", state: record.state, backupID: record.id, backupName: record.name, chi: ("ns", "demo", "main"),
                       chb: ("ns", record.name, nil), location: record.location, kind: .full, base: nil, tables: "all", compression: "default",
                       startedAt: record.startedAt, stoppedAt: record.stoppedAt, shards: 1, hosts: [], skipped: [], error: nil)
    }

    func put(_ store: MemoryObjectStore, _ record: BackupRecord, index: Bool = true) async throws {
        let manifests = ManifestStore(client: store, url: s3.url(forKey: "p/ns/demo/\(record.name)/manifest.json"))
        if index { try await manifests.write(manifest(record)) } else {
            _ = try await store.put(manifests.url, body: Array(JSONWriter.string(manifest(record).json).utf8), contentType: "application/json", ifNoneMatch: false)
        }
    }

    @Test func listingReadsOnlyWhatTheIndexCannotVouchFor() async throws {
        let store = MemoryObjectStore()
        for name in ["a", "b", "c"] { try await put(store, record(name), index: false) }  // written before the index existed
        let index = CatalogIndexStore(client: store, s3: s3, catalogKey: catalogKey)
        #expect(try await index.records().map(\.name) == ["a", "b", "c"])
        let built = try #require(try await index.object.read()).index
        #expect(built.records.keys.sorted() == ["a", "b", "c"])
        #expect(built.needsReading(["a", "b", "c", "d"]) == ["d"])

        try await put(store, record("d", .inProgress))  // a running backup, indexed as such
        try await put(store, record("d"), index: false)  // it ended; its index update was lost
        #expect(try #require(try await index.object.read()).index.needsReading(["d"]) == ["d"])
        #expect(try await index.records().map(\.state) == [.completed, .completed, .completed, .completed])

        let catalog = CatalogStore(client: store, scope: try CatalogScope.decode(.list, chiDefinition: [], backupDefinition: Array(#"{"metadata":{"name":"x","namespace":"ns"},"spec":{"ClickhouseInstallation":{"name":"demo"},"backup":{"s3":{"destinationPath":"s3://bucket/p/","endpointURL":"http://s3.test","s3Credentials":{"accessKeyId":{"name":"s","key":"a"},"secretAccessKey":{"name":"s","key":"b"}}}}}}"#.utf8), parameters: [:]))
        try await catalog.delete("b")
        #expect(try #require(try await index.object.read()).index.records["b"] == nil)
        #expect(try await index.records().map(\.name) == ["a", "c", "d"])
    }

    /// A backup that failed is indexed so; its retry completes the same folder, and an index
    /// update lost after that (an S3 fault, five lost races, a plugin killed) must not leave it
    /// listed as failed, where retention would treat it as a failed backup. Only a completed
    /// entry is final; any other is read again.
    @Test func aFailedEntryIsReadAgainForItsRetryMayHaveCompletedIt() async throws {
        let store = MemoryObjectStore()
        try await put(store, record("r", .failed))
        try await put(store, record("r"), index: false)  // the retry completed; its index update was lost
        let index = CatalogIndexStore(client: store, s3: s3, catalogKey: catalogKey)
        #expect(try #require(try await index.object.read()).index.needsReading(["r"]) == ["r"])
        #expect(try await index.records().map(\.state) == [.completed])
        #expect(try #require(try await index.object.read()).index.needsReading(["r"]) == [])  // refreshed: completed is final
        try await put(store, record("x", .cancelled))
        #expect(try #require(try await index.object.read()).index.needsReading(["r", "x"]) == ["x"])
    }

    @Test func aLostRaceIsRetriedAgainstTheNewVersion() async throws {
        let store = MemoryObjectStore()
        let object = CatalogIndexObject(client: store, url: s3.url(forKey: "p/ns/demo/index.json"))
        try await object.update(record("a"))
        let stale = try #require(try await object.read())
        try await object.update(record("b"))  // another writer in between
        #expect(try await store.put(object.url, body: Array(JSONWriter.string(stale.index.json).utf8), ifVersion: stale.etag) == false)
        try await object.update(record("c"))
        #expect(try #require(try await object.read()).index.records.keys.sorted() == ["a", "b", "c"])
        #expect(CatalogIndexObject(client: store, manifestURL: "http://s3.test/bucket/p/ns/demo/b/manifest.json").url == object.url)
    }

    @Test func theIndexRoundTripsEveryField() throws {
        var verified = record("v")
        verified.verification = BackupRecord.Verdict(at: 9, passed: false, summary: "failed: x")
        let index = CatalogIndex(records: ["v": verified, "r": record("r", .inProgress, at: 5)])
        #expect(CatalogIndex(json: try JSONParser.parse(Array(JSONWriter.string(index.json).utf8))) == index)
    }

    /// A backup reads the index while its hosts work: its record at the end is one PUT. A
    /// record written meanwhile (another backup of the CHI) is kept: the PUT from the stale
    /// read loses its race, and the update reads again.
    @Test func aBackupReadsTheIndexWhileItsHostsWorkAndKeepsWhatWasRecordedMeanwhile() async throws {
        let cluster = OperationRunTests.Cluster()
        let indexURL = "http://s3.test/bucket/prefix/ns/demo/\(CatalogIndex.fileName)"
        let gate = Gate()
        cluster.hosts.forEach { $0.setBytes(Int64(1) << 40); $0.setBehaviour(.hold(gate)) }
        let run = Task { try await OperationRunTests().backup(cluster.provider(), parameters: ["type": "full"]) }
        await cluster.hosts[0].started.wait()
        for _ in 0..<2000 where cluster.store.versionedGets.withLock({ $0 }).isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        #expect(cluster.store.versionedGets.withLock { $0 } == [indexURL])  // before any host ended
        let other = CatalogIndexObject(client: cluster.store, url: indexURL)
        try await other.update(BackupRecord(name: "other", id: "id-other", state: .completed, kind: .full, base: nil, startedAt: 1,
                                            stoppedAt: 2, totalSize: 1, shards: 1, location: "s3://bucket/prefix/ns/demo/other/"))
        gate.open()
        #expect(try await run.value.metadata["state"] == "Completed")
        await cluster.settled()
        let index = try #require(try await other.read()).index
        #expect(index.records.keys.sorted() == ["nightly", "other"])
        #expect(index.records["nightly"]?.state == .completed)
    }

    /// Without a backup running meanwhile, the record at the end is the PUT alone (a full
    /// backup: `auto` also reads the catalog to choose its base).
    @Test func aBackupsRecordIsOneWriteOfTheIndex() async throws {
        let cluster = OperationRunTests.Cluster()
        let indexURL = "http://s3.test/bucket/prefix/ns/demo/\(CatalogIndex.fileName)"
        #expect(try await OperationRunTests().backup(cluster.provider(), parameters: ["type": "full"]).metadata["state"] == "Completed")
        await cluster.settled()
        #expect(cluster.store.versionedGets.withLock { $0 }.filter { $0 == indexURL }.count == 1)
        #expect(cluster.store.writes.withLock { $0 }.filter { $0 == indexURL }.count == 1)
        #expect(try #require(try await CatalogIndexObject(client: cluster.store, url: indexURL).read()).index.records["nightly"] != nil)
    }

    /// A completed backup answers once its manifest is written; its index update and unlock
    /// follow. Meanwhile a listing shows it completed (the index vouches only for completed
    /// backups), also where the index still says an earlier attempt of it failed.
    @Test func aBackupAnswersBeforeItsIndexUpdateAndIsListedCompletedMeanwhile() async throws {
        let cluster = OperationRunTests.Cluster()
        let object = CatalogIndexObject(client: cluster.store, url: "http://s3.test/bucket/prefix/ns/demo/\(CatalogIndex.fileName)")
        try await object.update(BackupRecord(name: "nightly", id: "earlier", state: .failed, kind: .full, base: nil, startedAt: 1,
                                             stoppedAt: 2, totalSize: 0, shards: 2, location: "s3://bucket/prefix/ns/demo/nightly/"))
        let gate = Gate()
        cluster.store.holdWrites(endingIn: CatalogIndex.fileName, until: gate, once: true)  // the backup's own update
        let answered = LockedState(false)
        let run = Task {
            defer { answered.withLock { $0 = true } }
            return try await OperationRunTests().backup(cluster.provider(), parameters: ["type": "full"])
        }
        for _ in 0..<5000 where cluster.store.isHolding { try await Task.sleep(for: .milliseconds(1)) }  // the update waits at the gate
        for _ in 0..<2000 where !answered.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        #expect(answered.withLock { $0 }, "the answer waited for the index update")
        #expect(try #require(try await object.read()).index.records["nightly"]?.state == .failed)  // not yet updated
        if !answered.withLock({ $0 }) { gate.open() }
        #expect(try await run.value.metadata["state"] == "Completed")
        let s3 = S3Destination(bucket: "bucket", prefix: "prefix/", endpoint: "http://s3.test", credentials: nil)
        let listed = try await CatalogIndexStore(client: cluster.store, s3: s3, catalogKey: "ns/demo/").records()
        #expect(listed.map(\.name) == ["nightly"] && listed.map(\.state) == [.completed])
        gate.open()
        await cluster.settled()
        #expect(try #require(try await object.read()).index.records["nightly"]?.state == .completed)
        #expect(try await cluster.store.get("http://s3.test/bucket/prefix/ns/demo/nightly/lock") == nil)  // released
    }
}
