import BackupClients
import BackupDomain
import RPCRuntime

/// A CHI's backups in their bucket: the records, and deleting one whole.
struct CatalogStore {
    let client: any ObjectStore
    let scope: CatalogScope

    var root: String { scope.s3.prefix + scope.catalogKey }

    func records(rebuild: Bool = false) async throws -> [BackupRecord] {
        try await CatalogReader(client: client, s3: scope.s3, catalogKey: scope.catalogKey).records(rebuild: rebuild)
    }

    /// Backup folders (names) under the CHI, with or without a manifest.
    func folders() async throws -> [String] {
        try await client.list(bucketURL: scope.s3.bucketURL, prefix: root, delimiter: "/").prefixes
            .map { String($0.dropFirst(root.count).dropLast()) }
    }

    /// Every object key of one backup.
    func keys(of name: String) async throws -> [String] {
        try await client.list(bucketURL: scope.s3.bucketURL, prefix: "\(root)\(name)/").keys
    }

    /// Deletes a backup: its manifest first (from then on it is no longer listed as a
    /// backup, only as a folder CleanBroken removes if this stops halfway), then its data.
    /// - Returns: how many objects went.
    @discardableResult
    func delete(_ name: String) async throws -> Int {
        let keys = try await keys(of: name)
        let manifest = "\(root)\(name)/manifest.json"
        if keys.contains(manifest) { try await client.delete(scope.s3.url(forKey: manifest)) }
        try? await CatalogIndexObject(client: client, manifestURL: scope.s3.url(forKey: manifest)).update(removing: name)
        try await client.delete(bucketURL: scope.s3.bucketURL, keys: keys.filter { $0 != manifest })
        return keys.count
    }
}
