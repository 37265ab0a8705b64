import BackupClients
import BackupDomain
import RPCRuntime

/// The backups of one CHI, read from their manifests in the destination bucket: every folder
/// under `PREFIX/NAMESPACE/CHI/` with a `manifest.json`.
struct CatalogReader {
    let client: any ObjectStore
    let s3: S3Destination
    let catalogKey: String

    /// Every readable manifest, in folder order; folders without one (never started, or
    /// deleted halfway) are left to CleanBroken.
    func records() async throws -> [BackupRecord] {
        let root = s3.prefix + catalogKey
        let folders = try await client.list(bucketURL: s3.bucketURL, prefix: root, delimiter: "/").prefixes
        return try await withThrowingTaskGroup(of: (Int, BackupRecord?).self) { group in
            var next = 0
            func add() {
                guard next < folders.count else { return }
                let (index, url) = (next, s3.url(forKey: folders[next] + "manifest.json"))
                next += 1
                group.addTask { [client] in
                    guard let bytes = try await client.get(url), let json = try? JSONParser.parse(bytes) else { return (index, nil) }
                    return (index, BackupManifest(json: json)?.record)
                }
            }
            for _ in 0..<16 { add() }
            var found: [(Int, BackupRecord)] = []
            for try await (index, record) in group {
                if let record { found.append((index, record)) }
                add()
            }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
