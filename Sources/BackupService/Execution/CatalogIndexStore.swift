import BackupClients
import BackupDomain
import RPCRuntime

/// The CHI's backup index in its bucket (``CatalogIndex``): read with a folder listing,
/// refreshed from the manifests it lacks, and updated by every manifest write through S3
/// conditional writes (a writer that loses a race reads again; after a few losses it leaves
/// the change to the next listing, which reads that manifest).
struct CatalogIndexStore: Sendable {
    let client: any ObjectStore
    let s3: S3Destination
    let catalogKey: String

    var root: String { s3.prefix + catalogKey }
    var object: CatalogIndexObject { CatalogIndexObject(client: client, url: s3.url(forKey: root + CatalogIndex.fileName)) }

    /// Every backup with a readable manifest, in folder order. With `rebuild`, every manifest
    /// is read (the index is written anew from them): after manifests were edited by hand.
    func records(rebuild: Bool = false) async throws -> [BackupRecord] {
        let folders = try await client.list(bucketURL: s3.bucketURL, prefix: root, delimiter: "/").prefixes
            .map { String($0.dropFirst(root.count).dropLast()) }
        let stored = try await object.read()
        let index = rebuild ? CatalogIndex() : stored?.index ?? CatalogIndex()
        let read = try await manifests(index.needsReading(folders))
        let (records, refreshed) = index.refreshed(folders: folders, read: read)
        if refreshed != stored?.index {
            _ = try? await client.put(object.url, body: Array(JSONWriter.string(refreshed.json).utf8), ifVersion: stored?.etag)
        }
        return records
    }

    /// The records of `folders`' manifests, 16 at a time (nil: no readable manifest).
    private func manifests(_ folders: [String]) async throws -> [String: BackupRecord?] {
        try await withThrowingTaskGroup(of: (String, BackupRecord?).self) { group in
            var next = folders[...]
            func add() {
                guard let folder = next.popFirst() else { return }
                let url = s3.url(forKey: "\(root)\(folder)/\(BackupManifest.fileName)")
                group.addTask { [client] in
                    guard let bytes = try await client.get(url), let json = try? JSONParser.parse(bytes) else { return (folder, nil) }
                    return (folder, BackupManifest(json: json)?.record)
                }
            }
            for _ in 0..<16 { add() }
            var found: [String: BackupRecord?] = [:]
            for try await (folder, record) in group {
                found[folder] = .some(record)
                add()
            }
            return found
        }
    }
}

/// The index object itself: read with its version, updated by conditional writes.
struct CatalogIndexObject: Sendable {
    let client: any ObjectStore
    let url: String

    /// The index next to a backup folder: `.../NAMESPACE/CHI/index.json` for the manifest at
    /// `.../NAMESPACE/CHI/BACKUP/manifest.json`.
    init(client: any ObjectStore, manifestURL: String) {
        var folder = manifestURL.dropLast(BackupManifest.fileName.count).dropLast()  // .../CHI/BACKUP
        while let last = folder.last, last != "/" { folder = folder.dropLast() }
        self.init(client: client, url: String(folder) + CatalogIndex.fileName)
    }

    init(client: any ObjectStore, url: String) { (self.client, self.url) = (client, url) }

    /// The index as a run read it earlier (`stored` nil: there was none), so that its update
    /// at the end starts with the conditional PUT: one request instead of two, and a stale
    /// snapshot costs only the lost race it meets.
    struct Snapshot: Sendable {
        let stored: (index: CatalogIndex, etag: String)?
    }

    /// The index as it is now; nil when it cannot be read (the update then reads it itself).
    func snapshot() async -> Snapshot? {
        do { return Snapshot(stored: try await read()) } catch { return nil }
    }

    /// Records `record` (its manifest was written) or, with `removing`, forgets a backup,
    /// starting from `snapshot` when one was read earlier. Gives up after five lost races:
    /// the next listing reads what changed.
    func update(_ record: BackupRecord? = nil, removing name: String? = nil, from snapshot: Snapshot? = nil) async throws {
        var known = snapshot
        for _ in 0..<5 {
            let stored: (index: CatalogIndex, etag: String)?
            if let snapshot = known { (stored, known) = (snapshot.stored, nil) } else { stored = try await read() }
            var index = stored?.index ?? CatalogIndex()
            if let record { index.records[record.name] = record }
            if let name { index.records[name] = nil }
            if try await client.put(url, body: Array(JSONWriter.string(index.json).utf8), ifVersion: stored?.etag) { return }
        }
    }

    func read() async throws -> (index: CatalogIndex, etag: String)? {
        guard let (body, etag) = try await client.getVersioned(url), let json = try? JSONParser.parse(body),
              let index = CatalogIndex(json: json) else { return nil }
        return (index, etag)
    }
}
