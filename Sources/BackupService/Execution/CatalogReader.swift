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
}
