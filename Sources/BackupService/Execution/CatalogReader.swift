import BackupClients
import BackupDomain
import RPCRuntime

/// The backups of one CHI, read from their manifests in the destination bucket: every folder
/// under `PREFIX/NAMESPACE/CHI/` with a `manifest.json`.
struct CatalogReader {
    let client: any ObjectStore
    let s3: S3Destination
    let catalogKey: String

    /// Every readable manifest, in folder order, through the CHI's index; folders without
    /// one (never started, or deleted halfway) are left to CleanBroken.
    func records(rebuild: Bool = false) async throws -> [BackupRecord] {
        try await CatalogIndexStore(client: client, s3: s3, catalogKey: catalogKey).records(rebuild: rebuild)
    }

    /// The records, with the chain below `record` checked against the manifests themselves
    /// (not the index): a base whose manifest is gone is missing, whatever the index says.
    func recordsConfirmingBases(of record: BackupRecord) async throws -> [BackupRecord] {
        var records = try await self.records()
        var base = record.base, steps = 0
        while let name = base, steps <= records.count {
            let url = s3.url(forKey: "\(s3.prefix)\(catalogKey)\(name)/\(BackupManifest.fileName)")
            guard let bytes = try await client.get(url), let json = try? JSONParser.parse(bytes), let found = BackupManifest(json: json)?.record else {
                records.removeAll { $0.name == name }
                break
            }
            records = records.map { $0.name == name ? found : $0 }
            (base, steps) = (found.base, steps + 1)
        }
        return records
    }
}

