import BackupClients
import BackupDomain
import PluginSupport

/// The manifest of the backup a plan makes (`BackupManifest`, the domain's one schema),
/// filled from the run: at start in progress, at the end with every host's outcome.
struct Manifest {
    let plan: OperationPlan
    /// The hosts that write the backup, and the replicas skipped because they did not answer.
    let assignment: HostAssignment
    let startedAt: Int64
    var kind: BackupRecord.Kind = .full
    /// The backup an incremental one builds on: its name and id.
    var base: (name: String, id: String)? = nil
    /// The base's archive format (nil: folders).
    var baseArchive: String? = nil

    func document(_ state: ManifestState, stoppedAt: Int64?, outcomes: [HostOperation.Outcome], error: String?) -> BackupManifest {
        let hosts = (assignment.data + assignment.local).map { planned in
            let outcome = outcomes.first { $0.planned.operationID == planned.operationID }
            var host = BackupManifest.HostEntry(
                shard: planned.host.shardIndex, replica: planned.host.replicaIndex, fqdn: planned.host.fqdn, role: planned.role,
                clickHouseID: outcome?.clickHouseID ?? planned.operationID, location: planned.location,
                status: outcome?.status ?? .pending, error: outcome?.error, tables: outcome?.tables ?? [],
                databases: outcome?.wholeDatabases ?? [])
            host.numFiles = outcome?.numFiles ?? 0
            host.fingerprints = outcome?.fingerprints ?? []
            host.totalSize = outcome?.totalSize ?? 0
            host.compressedSize = outcome?.compressedSize ?? 0
            host.uncompressedSize = outcome?.uncompressedSize ?? 0
            return host
        }
        let definition = plan.definition
        var manifest = BackupManifest(
            pluginVersion: PluginInfo.version, state: state, backupID: plan.id, backupName: plan.backupName,
            chi: (plan.chi.namespace, plan.chi.name, plan.cluster), chb: (definition.namespace, definition.name, definition.uid),
            location: plan.location, kind: kind, base: base, tables: plan.tables, compression: plan.parameters.compressionMethod ?? "default",
            startedAt: startedAt, stoppedAt: stoppedAt, shards: plan.shardCount, hosts: hosts,
            skipped: assignment.skipped.map {
                BackupManifest.SkippedEntry(fqdn: $0.host.fqdn, shard: $0.host.shardIndex, replica: $0.host.replicaIndex, reason: $0.reason)
            },
            error: error)
        manifest.partitions = plan.parameters.partitions?.description
        manifest.archive = plan.parameters.archive
        manifest.includes = (plan.parameters.includeAccess ? ["access"] : []) + (plan.parameters.includeFunctions ? ["functions"] : [])
        return manifest
    }

    /// The key of a host's part among a backup's parts (``BackupManifest/HostEntry/partKey``).
    static func partKey(_ planned: PlannedHost) -> String {
        planned.role == .local ? "\(planned.sourceShard)/r\(planned.host.replicaIndex)" : String(planned.sourceShard)
    }
}

/// Where a backup's manifest is read and written: one object in the backup's bucket, with a
/// `lock` object next to it that only one plugin process can create (S3 conditional PUT).
struct ManifestStore {
    let client: any ObjectStore
    let url: String

    private var lockURL: String { String(url.dropLast(BackupManifest.fileName.count)) + "lock" }

    /// Creates the lock; false when another process holds it. On a store that ignores
    /// `If-None-Match` every create succeeds, and ClickHouse's refusal of a second operation
    /// with the same id is what keeps a backup from being written twice.
    func lock(owner: String) async throws -> Bool {
        try await client.put(lockURL, body: Array(owner.utf8), contentType: "text/plain", ifNoneMatch: true)
    }

    func unlock() async { try? await client.delete(lockURL) }

    /// Writes the manifest, then records it in the CHI's index. A failed index update is not
    /// the run's failure: the next listing reads this manifest (the index vouches only for
    /// completed backups, and one it lacks is read). So an in-progress manifest is not indexed
    /// at all: the listing reads it either way, and the two requests would stand between the
    /// lock and the hosts' statements.
    /// `unlocking`: the lock is released once the manifest is written, at the same time as
    /// the index is updated (it guards the run, which the manifest now records as ended).
    /// `index`: the index as read while the run went on (``CatalogIndexObject/snapshot()``).
    /// `deferred`: the index update and the unlock are left to it, after the caller's answer;
    /// else they are awaited here.
    func write(_ manifest: BackupManifest, unlocking: Bool = false, index: CatalogIndexObject.Snapshot? = nil,
               deferred: BackgroundTasks? = nil) async throws {
        try await client.put(url, body: Array(JSONWriter.string(manifest.json).utf8))
        let rest: @Sendable () async -> Void = { [self] in
            async let unlocked: Void = unlocking ? unlock() : ()
            if manifest.state != .inProgress { try? await self.index.update(manifest.record, from: index) }
            await unlocked
        }
        if let deferred { deferred.start(rest) } else { await rest() }
    }

    /// The CHI's index this manifest is recorded in. A run reads its `snapshot()` while its
    /// hosts work, so that the record at the end writes it without reading it first.
    var index: CatalogIndexObject { CatalogIndexObject(client: client, manifestURL: url) }

    /// The manifest, when there is one (a body that is not a manifest reads as none).
    func read() async throws -> BackupManifest? {
        try await client.get(url).flatMap { try? JSONParser.parse($0) }.flatMap(BackupManifest.init(json:))
    }
}
