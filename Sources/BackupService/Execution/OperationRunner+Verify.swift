import BackupClients
import BackupDomain
import RPCRuntime

/// Verification: a backup read back from S3 and compared with what it recorded, without
/// restoring it over anything. On one host per backup part (the first replica of the shard
/// the part restores to, or the host asked for), each database of the part is attached
/// read-only with ClickHouse's `Backup` database engine (`__verify_<time>_<n>`, nothing is
/// copied and Keeper is not involved; an incremental backup reads through its bases), every
/// table's `count()` and `sum(cityHash64(*))` are read (which decompresses and checks every
/// block) and compared with the manifest's fingerprints, and the databases are dropped. The
/// verdict is written into the manifest. Tables the `Backup` engine does not attach (Log,
/// Memory...) are restored into a scratch database instead.
extension OperationRunner {
    /// Scratch databases older than this are leftovers of a verification that was killed.
    static let leftoverAge: Int64 = 3600
    static let scratchPrefix = "__verify_"
    /// A table's problem in at most this many characters (ClickHouse's errors run long).
    static let problemLimit = 300

    /// Verifies the plan's backup (the plan is a restore plan of it) on `hostName`'s server, or
    /// one per part. - Returns: the findings, also written into the manifest.
    func verify(hostName: String?) async throws -> BackupVerification {
        let resolved = try resolveSecrets()
        guard let store = manifestStore(resolved) else {
            throw DomainError(.failedPrecondition, "verification needs the CHB's S3 credential references: the plugin reads the manifest and records the verdict with them")
        }
        guard var manifest = try await store.read(), manifest.backupName == plan.backupName else {
            throw DomainError(.notFound, "no backup \(plan.backupName) at \(plan.location)")
        }
        guard manifest.state == .completed else {
            throw DomainError(.failedPrecondition, "\(plan.backupName) is \(manifest.state.rawValue): only a completed backup can be verified")
        }
        if let catalog = catalogReader(resolved), manifest.base != nil,
           case .failure(let broken) = BackupChains.bases(of: manifest.record, in: try await catalog.recordsConfirmingBases(of: manifest.record)) {
            throw DomainError(.failedPrecondition, "cannot verify \(plan.backupName): \(broken.message)")
        }
        let parts = manifest.hosts.filter { $0.status.succeeded && $0.tables.contains(where: \.kind.holdsRows) }
        var tables: [BackupVerification.Table] = [], hosts: [String] = [], error: String?
        for part in parts {
            let host = try verifyingHost(for: part, named: hostName)
            if !hosts.contains(host.fqdn) { hosts.append(host.fqdn) }
            do {
                tables += try await verify(part, root: manifest.location, archive: manifest.archive, on: client(host, resolved), resolved: resolved)
            } catch let failure where !(failure is CancellationError) {
                error = "part \(part.partKey) on \(host.fqdn): \(ErrorMap.rpcError(failure).message)"
                break
            }
        }
        try Task.checkCancellation()
        let verification = BackupVerification(verifiedAt: now(), hosts: hosts, tables: tables, error: error)
        manifest.verification = verification
        try await store.write(manifest)
        return verification
    }

    /// The server that reads `part`: the named host, or the planned host of the shard the
    /// part restores to.
    private func verifyingHost(for part: BackupManifest.HostEntry, named name: String?) throws -> Host {
        if let name {
            guard let host = plan.candidates.map(\.host).first(where: { $0.fqdn == name || $0.fqdn.hasPrefix(name + ".") }) else {
                throw DomainError(.invalidArgument, "parameters[\"host\"]: \(BoundedText.quoted(name)) is no host of cluster \(plan.cluster); "
                               + "its hosts: \(BoundedText.bounded(plan.candidates.map(\.host.fqdn).joined(separator: ", ")))")
            }
            return host
        }
        let shard = part.shard % max(1, plan.shardCount)
        guard let host = (plan.hosts + plan.candidates).map(\.host).first(where: { $0.shardIndex == shard }) else {
            throw DomainError(.failedPrecondition, "no host of cluster \(plan.cluster) for shard \(shard)")
        }
        return host
    }

    /// Reads every table of `part` from the backup on `client`'s server: MergeTree-family
    /// tables (replicated ones too, attached as plain MergeTree) through `Backup` databases,
    /// the others (Log, Memory...: the `Backup` engine does not attach them, and they hold no
    /// Keeper state) restored into a scratch database of their own. The scratch databases are
    /// dropped whatever happens.
    private func verify(_ part: BackupManifest.HostEntry, root: String, archive: String?, on client: any ClickHouseSession,
                        resolved: ResolvedSecrets) async throws -> [BackupVerification.Table] {
        try await dropLeftovers(on: client)
        guard part.location.hasPrefix(root) else { throw DomainError(.internal, "part \(part.partKey) lies outside \(root)") }
        let destination = resolved.destination(plan.destination(ofBackup: plan.backupName, part: String(part.location.dropFirst(root.count)))
            .archived(archive))
        let tables = part.tables.filter(\.kind.holdsRows)
        // The Backup engine cannot read MergeTree parts from an archive (no seeking): restored too.
        let attachable = archive == nil ? tables.filter { $0.engine.contains("MergeTree") } : []
        // Restoring a replicated table, even under another name, could create Keeper state.
        let replicatedInArchive = archive == nil ? [] : tables.filter { $0.kind == .replicated }
        let restorable = tables.filter { !attachable.contains($0) && !replicatedInArchive.contains($0) }
        let stamp = now()
        let databases = attachable.map(\.name.database).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var scratch = Dictionary(uniqueKeysWithValues: databases.enumerated().map { ($1, "\(Self.scratchPrefix)\(stamp)_\($0)") })
        var created: [String] = [], unreadable: String?
        do {
            for database in databases {
                let statement = AttachedBackupDatabase(name: scratch[database]!, database: database, destination: destination)
                _ = try await client.run(try statement.executable(), timeout: .seconds(300))
                created.append(statement.name)
            }
            var placed: [TableName: String] = Dictionary(uniqueKeysWithValues: attachable.map { ($0.name, scratch[$0.name.database]!) })
            if !restorable.isEmpty {
                // One scratch database per source database: two tables of one name in two databases.
                for (index, database) in restorable.map(\.name.database).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }).enumerated() {
                    scratch[database] = "\(Self.scratchPrefix)\(stamp)_r\(index)"
                }
                for name in Set(restorable.map { scratch[$0.name.database]! }).sorted() {
                    _ = try await client.run("CREATE DATABASE \(SQLQuoting.identifier(name))", timeout: .seconds(60))
                    created.append(name)
                }
                let elements = restorable.map { BackupElement.table($0.name, renamedTo: TableName(database: scratch[$0.name.database]!, table: $0.name.table)) }
                let statement = BackupStatement(verb: .restore, elements: elements, destination: destination, async: false)
                do {
                    _ = try await client.run(try statement.executable(), timeout: .seconds(3600))
                    for table in restorable { placed[table.name] = scratch[table.name.database]! }
                } catch where !(error is CancellationError) && !Task.isCancelled {
                    unreadable = "unreadable: the backup's copy could not be restored: " + ErrorMap.rpcError(error).message
                }
            }
            var found: [BackupVerification.Table] = []
            for table in tables {
                guard let database = placed[table.name] else {
                    let why = replicatedInArchive.contains(table)
                        ? "not verified: a replicated table in an archive backup is read only by restoring it, which could create Keeper state"
                        : unreadable ?? "unreadable"
                    found.append(BackupVerification.Table(part: part.partKey, table: table.name, rows: nil, hash: nil,
                                                          problem: BoundedText.bounded(why, limit: Self.problemLimit)))
                    continue
                }
                found.append(await read(table.name, of: part, in: database, on: client))
            }
            await drop(created, on: client)
            return found
        } catch {
            await drop(created, on: client)
            throw error
        }
    }

    /// One table read back and compared with its fingerprint; a read that fails is the
    /// table's problem (a missing or damaged object), not the verification's.
    private func read(_ table: TableName, of part: BackupManifest.HostEntry, in scratch: String,
                      on client: any ClickHouseSession) async -> BackupVerification.Table {
        let fingerprint = part.fingerprints.first { $0.table == table }
        do {
            let (rows, hash) = try await client.contentHash(of: table, in: scratch)
            let problem = fingerprint?.mismatch(rows: rows, hash: hash)
            return BackupVerification.Table(part: part.partKey, table: table, rows: rows, hash: hash, problem: problem)
        } catch {
            return BackupVerification.Table(part: part.partKey, table: table, rows: nil, hash: nil,
                                            problem: BoundedText.bounded("unreadable: " + ErrorMap.rpcError(error).message, limit: Self.problemLimit))
        }
    }

    /// Drops `names` from a task of its own: this one may be cancelled, and they must go.
    private func drop(_ names: [String], on client: any ClickHouseSession) async {
        guard !names.isEmpty else { return }
        await Task.detached {
            for name in names { _ = try? await client.run("DROP DATABASE IF EXISTS \(SQLQuoting.identifier(name)) SYNC", timeout: .seconds(60)) }
        }.value
    }

    /// Scratch databases a killed verification left (older than ``leftoverAge``).
    private func dropLeftovers(on client: any ClickHouseSession) async throws {
        let rows = try await client.select("SELECT name FROM system.databases WHERE startsWith(name, '\(Self.scratchPrefix)')",
                                           timeout: .seconds(30))
        let cutoff = now() - Self.leftoverAge
        let stale = rows.compactMap { row -> String? in
            guard case .string(let name)? = row["name"] else { return nil }
            let stamp = name.dropFirst(Self.scratchPrefix.count).split(separator: "_").first.flatMap { Int64($0) }
            return (stamp ?? 0) < cutoff ? name : nil
        }
        await drop(stale, on: client)
    }
}
