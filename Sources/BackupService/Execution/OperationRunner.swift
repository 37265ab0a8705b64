import BackupClients
import BackupDomain
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it brings ICU and ~10 MB of resident pages
#else
import Foundation
#endif
import HTTPTransport
import Logging
import RPCRuntime
import PluginSupport

/// Runs a planned BACKUP or RESTORE on every planned host at once, records it in the
/// manifest, and turns the outcome into the call's metadata or its error.
struct OperationRunner {
    let plan: OperationPlan
    var environment: ExecutionEnvironment
    let startedAt: Int64
    let now: @Sendable () -> Int64
    /// Where progress goes (GetOperation, WatchOperation); nil in tests that need none.
    var tracker: OperationTracker? = nil

    /// What a run answers: metadata and the backup's own times (a backup found completed in
    /// its manifest answers with the times it was made).
    struct RunResult: Sendable {
        var metadata: [String: String]
        var startedAt: Int64
        var stoppedAt: Int64
    }

    /// - Returns: the result. - Throws: an error carrying its gRPC code; the manifest says
    ///   Failed and nothing is reported as completed.
    func run() async throws -> RunResult {
        let clock = ContinuousClock()
        let started = clock.now
        var runner = self
        runner.environment.logger = logger
        let logger = runner.environment.logger
        var fields: Logger.Metadata = ["operation": .string(plan.operation.rawValue), "id": .string(plan.id), "name": .string(plan.name),
                                       "location": .string(plan.location), "hosts": .string(String(plan.hosts.count))]
        logger.info("\(plan.operation.rawValue) started", metadata: fields)
        do {
            let result = try await runner.execute()
            fields["duration_ms"] = .string(String((clock.now - started).wholeMilliseconds))
            for key in ["total_size", "reused", "warning"] { if let value = result.metadata[key] { fields[key] = .string(value) } }
            for (key, value) in result.metadata where key.hasPrefix("timing.") { fields[String(key.dropFirst(7))] = .string(value) }
            logger.info("\(plan.operation.rawValue) completed", metadata: fields)
            report(failure: nil, duration: clock.now - started, metadata: result.metadata)
            return result
        } catch {
            let failure = ErrorMap.rpcError(error)
            fields["duration_ms"] = .string(String((clock.now - started).wholeMilliseconds))
            fields["code"] = .string("\(failure.code)")
            fields["error"] = .string(failure.message)
            logger.error("\(plan.operation.rawValue) failed", metadata: fields)
            report(failure: (failure.code.description, failure.message), duration: clock.now - started, metadata: [:])
            throw error
        }
    }

    /// The environment's logger with this run's identity on every line it writes.
    var logger: Logger {
        var logger = environment.logger
        logger[metadataKey: "operation_id"] = .string(plan.id)
        logger[metadataKey: "chi"] = .string("\(plan.chi.namespace)/\(plan.chi.name)")
        logger[metadataKey: "cluster"] = .string(plan.cluster)
        logger[metadataKey: "backup"] = .string(plan.backupName)
        return logger
    }

    private func report(failure: (code: String, message: String)?, duration: Duration, metadata: [String: String]) {
        environment.onOutcome(OperationOutcome(
            operation: plan.operation.rawValue, id: plan.id, backupName: plan.backupName,
            chi: "\(plan.chi.namespace)/\(plan.chi.name)", cluster: plan.cluster, failure: failure, duration: duration,
            bytes: metadata["total_size"].flatMap { Int64($0) }, finishedAt: now(), reused: metadata["reused"] == "true"))
    }

    /// The phases of a run: already done? (backup) or the backup's record (restore), at the
    /// same time as the replica probe and (backup) the chain's catalog read, since none needs
    /// another; (backup) the lock once the manifest was read, while the probe goes on; then
    /// assignment, first manifest (backup), the hosts, the record. Each phase's time is in the
    /// result (`timing.*_ms`) and the run's last log line.
    private func execute() async throws -> RunResult {
        let resolved = try resolveSecrets()
        let store = manifestStore(resolved)
        let clock = ContinuousClock()
        var timing: [String: String] = [:]
        func milliseconds(since start: ContinuousClock.Instant) -> String { String((clock.now - start).wholeMilliseconds) }
        async let earlier = Self.timed { plan.operation == .backup && store != nil ? try await earlierRun(store!, resolved: resolved) : (nil, true) }
        async let record = Self.timed { plan.operation == .restore ? try await restoreChecks(store, resolved: resolved) : nil }
        async let unreachable = Self.timed { try await probe(resolved, readingTables: true) }
        async let base = Self.timed { plan.operation == .backup ? try await chooseBase(resolved) : nil }
        let ((answer, recordedBefore), readingEarlier) = try await earlier
        if let answer { return answer }
        // Taken while the probe and the catalog read go on: it needs neither.
        let lock = plan.operation == .backup ? store.map { store in Task { [self] in try await Self.timed { try await takeLock(store, resolved: resolved) } } } : nil
        let recorded: BackupManifest.Parts?, assignment: HostAssignment, early: [String: HostOperation.EarlyTables]
        var manifest: Manifest, extra: [String: String] = [:]
        do {
            let (backupRecord, readingRecord) = try await record
            recorded = backupRecord?.parts
            timing["timing.manifest_read_ms"] = String(plan.operation == .backup ? readingEarlier : readingRecord)
            let ((down, read), probing) = try await unreachable
            (assignment, early) = (try assign(down, layout: recorded?.layout ?? BackupLayout()), read)
            timing["timing.probe_ms"] = String(probing)
            tracker?.hosts(assignment.data + assignment.local + assignment.schema)
            manifest = Manifest(plan: plan, assignment: assignment, startedAt: startedAt)
            if plan.operation == .backup {
                if plan.parameters.localTables == .refuse { try await refuseLocalTables(assignment, resolved) }
                let (choice, reading) = try await base
                extra = chainMetadata(choice!, into: &manifest)
                timing["timing.catalog_ms"] = String(reading)
            }
        } catch {
            // Refused before any statement (a shard nobody serves, local_tables=refuse...): the
            // lock goes. Cancelled first: a lock another process holds would have this call
            // follow that run to its end before it answers.
            lock?.cancel()
            if let lock, let store, case (nil, _)? = try? await lock.value { await store.unlock() }
            throw error
        }
        if !assignment.unrestoredCopies.isEmpty { extra["unrestored_copies"] = assignment.unrestoredCopies.joined(separator: "; ") }
        let claim = lock.flatMap { lock in store.map { claimBackup($0, manifest: manifest, lock: lock) } }
        defer { claim?.cancel() }
        // Read while the hosts work: the record at the end writes it at once.
        let index = claim == nil ? nil : store.map { store in Task { await store.index.snapshot() } }
        defer { index?.cancel() }
        let running = clock.now
        let (outcomes, failures) = await runHosts(assignment, manifest: manifest, recorded: recorded, resolved, beforeStart: claim.map(Self.gate),
                                                  noEarlierAttempts: claim != nil && !recordedBefore, early: early)
        if let claim {
            let (answer, locking) = try await claim.value
            if let answer { return answer }  // another process runs this backup: no host was started here
            timing["timing.lock_ms"] = String(locking)
        }
        timing["timing.hosts_ms"] = milliseconds(since: running)
        let recording = clock.now
        var result = try await finish(outcomes, failures, manifest: manifest, store: store, skipped: assignment.skipped, startedAt: startedAt,
                                      extra: extra, index: await index?.value)
        timing["timing.record_ms"] = milliseconds(since: recording)
        result.metadata.merge(timing, uniquingKeysWith: { _, new in new })
        return result
    }

    /// The backup's lock (taken since the manifest was read) and then its in-progress
    /// manifest, written while the hosts decide: no host starts a statement before both are
    /// written (``gate(_:)``). A non-nil answer is another process's run of this backup, which
    /// this call reports instead.
    private func claimBackup(_ store: ManifestStore, manifest: Manifest, lock: Task<(RunResult?, Int64), Error>) -> Task<(RunResult?, Int64), Error> {
        let document = manifest.document(.inProgress, stoppedAt: nil, outcomes: [], error: nil)
        return Task {
            let (answer, locking) = try await lock.value
            if let answer { return (answer, locking) }
            let clock = ContinuousClock()
            let writing = clock.now
            try await store.write(document)
            return (nil, locking + (clock.now - writing).wholeMilliseconds)  // the two requests' time
        }
    }

    /// What a host awaits before it starts a statement: this process holding the backup.
    private static func gate(_ claim: Task<(RunResult?, Int64), Error>) -> @Sendable () async throws -> Void {
        return {
            guard try await claim.value.0 == nil else {
                throw DomainError(.aborted, "another plugin process runs this backup; nothing was started here")
            }
        }
    }

    /// The same backup asked again (a retry, a second caller, a restarted plugin): its
    /// manifest says what became of it (`answer` nil: Failed, Cancelled or none, this call
    /// runs it; `recorded` false: there was none, so no process ever started a statement).
    func earlierRun(_ store: ManifestStore, resolved: ResolvedSecrets) async throws -> (answer: RunResult?, recorded: Bool) {
        switch try await recordedRun(store) {
        case let recorded? where recorded.state == .completed: return (completedResult(recorded), true)
        case let recorded? where recorded.state == .inProgress: return (try await attach(recorded, store: store, resolved: resolved), true)
        case .some: return (nil, true)
        case nil: return (nil, false)
        }
    }

    /// This backup's manifest, when the store holds one for this backup id.
    func recordedRun(_ store: ManifestStore) async throws -> BackupManifest? {
        guard let recorded = try await store.read(), recorded.backupID == plan.id else { return nil }
        return recorded
    }

    /// A restore reads the backup's manifest: its shard count, its chain, its tables (what
    /// patterns select from and what a retried restore checks) and its layout.
    func restoreChecks(_ store: ManifestStore?, resolved: ResolvedSecrets) async throws -> BackupManifest? {
        let recorded = try await store?.read()
        if let record = recorded?.record, let mismatch = plan.shardMismatch(backupShards: record.shards) {
            throw DomainError(.failedPrecondition, mismatch)
        }
        if let record = recorded?.record, record.base != nil, let catalog = catalogReader(resolved) {
            // An incremental backup restores only if every base it names is still there.
            if case .failure(let broken) = BackupChains.bases(of: record, in: try await catalog.recordsConfirmingBases(of: record)) {
                throw DomainError(.failedPrecondition, "cannot restore \(record.name): \(broken.message)")
            }
        }
        if let recorded, let missing = recorded.missingIncludes(plan.parameters) {
            throw DomainError(.failedPrecondition, "backup \(recorded.backupName) was taken without \(missing): "
                           + "parameters[\"\(missing)\"] restores only what a backup with it holds")
        }
        if recorded == nil, plan.hosts.contains(where: { $0.statement == nil }) {
            throw DomainError(.failedPrecondition, "restoring tables matched by patterns needs the backup's manifest, and there is none at \(plan.location)\(BackupManifest.fileName)")
        }
        return recorded
    }

    /// `body`'s value and how long it took, in milliseconds.
    private static func timed<T: Sendable>(_ body: () async throws -> T) async throws -> (T, Int64) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try await body()
        return (value, (clock.now - start).wholeMilliseconds)
    }

    /// Full or incremental: recorded in the manifest, and said in the result.
    func chooseChain(_ manifest: inout Manifest, _ resolved: ResolvedSecrets) async throws -> [String: String] {
        chainMetadata(try await chooseBase(resolved), into: &manifest)
    }

    /// The chain's choice written into the manifest, and as metadata.
    func chainMetadata(_ choice: BackupChains.Choice, into manifest: inout Manifest) -> [String: String] {
        switch choice {
        case .full(let reason): return ["type": "full", "type_reason": reason]
        case .incremental(let base, let reason):
            (manifest.kind, manifest.base, manifest.baseArchive) = (.incremental, (base.name, base.id), base.archive)
            return ["type": "incremental", "type_reason": reason, "base_backup": base.name, "base_backup_id": base.id]
        }
    }

    /// Runs the hosts' parts: the data (and a backup's replica copies) at once, at most
    /// `parallel_shards` hosts at a time; a restore then gives the other replicas the
    /// structure (replicated tables find a replica to fetch from) and then their own copies.
    private func runHosts(_ assignment: HostAssignment, manifest: Manifest, recorded: BackupManifest.Parts?, _ resolved: ResolvedSecrets,
                          beforeStart: (@Sendable () async throws -> Void)?, noEarlierAttempts: Bool,
                          early: [String: HostOperation.EarlyTables] = [:])
        async -> (outcomes: [HostOperation.Outcome], failures: [any Error & Sendable]) {
        let limit = plan.parameters.parallelShards ?? environment.parallelShards
        var outcomes: [HostOperation.Outcome] = [], failures: [any Error & Sendable] = []
        for stage in stages(assignment) where !stage.isEmpty && failures.isEmpty {
            let operations = stage.map { planned in
                var operation = hostOperation(planned, manifest: manifest, recorded: recorded, resolved)
                operation.beforeStart = beforeStart
                operation.noEarlierAttempts = noEarlierAttempts
                operation.earlyTables = early[planned.host.fqdn]
                operation.guessesFirstAttempt = plan.operation == .restore
                return operation
            }
            let result = await runBounded(groupedByHost(operations), limit: limit, environment: environment)
            outcomes += result.outcomes
            failures += result.failures
        }
        return (outcomes, failures)
    }

    /// The hosts' parts in the order they run: a backup's at once, a restore's data, then
    /// structure, then the replicas' own copies.
    func stages(_ assignment: HostAssignment) -> [[PlannedHost]] {
        plan.operation == .backup ? [assignment.data + assignment.local] : [assignment.data, assignment.schema, assignment.local]
    }

    /// One host's part with what the run knows: renames, the backup's table list and whole
    /// databases (restore, from its manifest's `recorded` parts), and the base (a replica's own
    /// copy is always whole: its replica may have no copy in the base).
    func hostOperation(_ planned: PlannedHost, manifest: Manifest, recorded: BackupManifest.Parts?, _ resolved: ResolvedSecrets) -> HostOperation {
        let base = planned.role == .local ? nil : manifest.base
        let key = Manifest.partKey(planned)
        var operation = hostOperation(planned, verb: verb, resolved: resolved, renames: renames,
                                      tablesFromManifest: recorded.map { $0.tables[key] ?? [] },
                                      baseBackup: base.map { resolved.destination(plan.destination(ofBackup: $0.name, for: planned).archived(manifest.baseArchive)) })
        // An archive backup's parts are `backup.FORMAT` in their folders: written so, read so.
        if let archive = plan.operation == .backup ? plan.parameters.archive : recorded?.archive {
            operation.destination = resolved.destination(planned.destination.archived(archive))
        }
        operation.databasesFromManifest = recorded?.wholeDatabases[key] ?? []
        operation.fingerprintsFromManifest = recorded?.fingerprints[key] ?? [:]
        operation.fingerprintMode = plan.parameters.fingerprint
        // A restore of a backup of some partitions restores those (into tables that may hold others).
        operation.partitions = plan.parameters.partitions ?? recorded?.partitions
        operation.partitionsFromManifest = recorded?.partitions
        operation.systemElements = plan.parameters.systemElements
        // A part that recorded no size (an older manifest, a failed host) is never awaited inline.
        operation.restoreBytesFromManifest = recorded?.sizes[key].flatMap { $0 > 0 ? $0 : nil }
        operation.sizesFromManifest = recorded?.reportedSizes[key]
        operation.bucket = plan.operation == .backup ? manifestStore(resolved)?.client : nil
        return operation
    }

    /// A client for `host`, masking the CHB's secrets in its errors.
    func client(_ host: Host, _ resolved: ResolvedSecrets) -> any ClickHouseSession {
        environment.connect(environment.endpoint(for: host), environment.clickHouse, resolved.values)
    }

    /// One host's part of this run (starting, or following what an earlier run started).
    func hostOperation(_ planned: PlannedHost, verb: BackupStatement.Verb, resolved: ResolvedSecrets, renames: [String: String] = [:],
                       tablesFromManifest: [ServerTable]? = nil, baseBackup: BackupDestination? = nil) -> HostOperation {
        HostOperation(planned: planned, verb: verb, client: client(planned.host, resolved), filter: plan.filter, renames: renames,
                      destination: resolved.destination(planned.destination), environment: environment,
                      cancelOnAbort: plan.parameters.cancelOnAbort, dropStaleReplicas: plan.parameters.dropStaleReplicas,
                      tablesFromManifest: tablesFromManifest, baseBackup: baseBackup, tracker: tracker)
    }

    /// Full or incremental, and on which base: from the catalog of this CHI's backups.
    private func chooseBase(_ resolved: ResolvedSecrets) async throws -> BackupChains.Choice {
        let type = plan.parameters.backupType
        if type == .full { return .full(reason: "parameters[\"type\"] = full") }
        if plan.parameters.partitions != nil { return .full(reason: "parameters[\"partitions\"]: a backup of some partitions is always full") }
        guard let catalog = catalogReader(resolved) else {
            if type == .incremental {
                throw DomainError(.failedPrecondition, "incremental backups need the CHB's S3 credentials: the plugin reads the catalog of earlier backups with them")
            }
            return .full(reason: "auto: the plugin holds no S3 credentials for this destination, so it cannot find a base")
        }
        let records = try await catalog.records().filter { $0.name != plan.backupName }
        return try BackupChains.choose(type, records: records, shards: plan.shardCount, now: startedAt,
                                       fullInterval: plan.parameters.fullInterval ?? environment.fullInterval)
    }

    /// Reads this CHI's backups when the plugin has the destination's S3 credentials.
    func catalogReader(_ secrets: ResolvedSecrets) -> CatalogReader? {
        guard plan.parameters.disk == nil, let s3 = plan.definition.s3, let key = secrets.accessKeyID, let secret = secrets.secretAccessKey else { return nil }
        let signing = AWSSigning(region: plan.parameters.region ?? environment.s3Region, accessKeyID: key, secretAccessKey: secret)
        return CatalogReader(client: environment.objectStore(signing), s3: s3, catalogKey: plan.catalogKey)
    }

    /// Records the end in the manifest and turns the outcomes into the result or the error.
    func finish(_ outcomes: [HostOperation.Outcome], _ failures: [any Error & Sendable], manifest: Manifest, store: ManifestStore?,
                skipped: [HostAssignment.Skipped], startedAt: Int64, reused: Bool = false,
                extra: [String: String] = [:], index: CatalogIndexObject.Snapshot? = nil) async throws -> RunResult {
        if Task.isCancelled {
            // Cancelled (CancelOperation, or cancel_on_abort): the queries were killed; say so
            // in the manifest, from a task of its own since this one's requests are cancelled.
            if plan.operation == .backup, let store {
                let document = manifest.document(.cancelled, stoppedAt: now(), outcomes: outcomes, error: "cancelled")
                try? await Task.detached { try await store.write(document); await store.unlock() }.value
            }
            throw CancellationError()
        }
        var outcomes = outcomes, failures = failures
        outcomes.sort { ($0.planned.host.shardIndex, $0.planned.host.replicaIndex) < ($1.planned.host.shardIndex, $1.planned.host.replicaIndex) }
        for outcome in outcomes where !outcome.status.succeeded {
            let host = environment.address(of: outcome.planned.host)
            let error = outcome.error.flatMap { ClickHouseError.parse($0, host: host) }
            failures.append(error.map { Failure($0.kind, "\(outcome.status): \($0.message)") as any Error & Sendable }
                            ?? DomainError(.aborted, "\(host): \(outcome.status)"))
        }
        if let conflicts = conflictFailure(outcomes) { failures.append(conflicts) }
        let stoppedAt = now()
        if let failure = failures.first {
            let first = ErrorMap.rpcError(failure).message
            let message = failures.count == 1 ? first : "\(failures.count) hosts failed; first: \(first)"
            if plan.operation == .backup, let store {
                try? await store.write(manifest.document(.failed, stoppedAt: stoppedAt, outcomes: outcomes, error: message), index: index)
                await store.unlock()
            }
            throw RunFailure(failures, message: message)
        }
        if plan.operation == .backup, let store {
            // The manifest makes it complete; the index and the lock need not delay the answer.
            try await store.write(manifest.document(.completed, stoppedAt: stoppedAt, outcomes: outcomes, error: nil), unlocking: true,
                                  index: index, deferred: environment.deferredWrites)
        }
        var metadata = metadata(outcomes, skipped: skipped, manifest: store == nil ? nil : "\(plan.location)\(BackupManifest.fileName)")
        if reused { metadata["reused"] = "true" }
        metadata.merge(extra) { _, new in new }
        return RunResult(metadata: metadata, startedAt: startedAt, stoppedAt: stoppedAt)
    }

    func resolveSecrets() throws -> ResolvedSecrets {
        guard let credentials = plan.definition.s3?.credentials, plan.parameters.disk == nil else { return ResolvedSecrets() }
        let namespace = plan.definition.namespace
        return ResolvedSecrets(accessKeyID: try environment.secrets.value(credentials.accessKeyID, namespace: namespace),
                               secretAccessKey: try environment.secrets.value(credentials.secretAccessKey, namespace: namespace))
    }

    /// Where the manifest goes: next to the data when the plugin has the destination's S3
    /// credentials. With server-side credentials (IAM roles) or a backup disk the plugin
    /// cannot reach the bucket, and says so in the metadata.
    func manifestStore(_ secrets: ResolvedSecrets) -> ManifestStore? {
        guard case .s3(let url, _, _) = plan.rootDestination, let key = secrets.accessKeyID, let secret = secrets.secretAccessKey else { return nil }
        let signing = AWSSigning(region: plan.parameters.region ?? environment.s3Region, accessKeyID: key, secretAccessKey: secret)
        return ManifestStore(client: environment.objectStore(signing), url: url + BackupManifest.fileName)
    }
}
