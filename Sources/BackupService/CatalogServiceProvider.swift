import BackupClients
import BackupDomain
import BackupProtocol
import HTTPTransport
import RPCRuntime

/// `altinity.backup.v1.BackupCatalog`: lists and prunes a CHI's backups from their manifests.
public struct CatalogServiceProvider: Sendable {
    public static let serviceName = "altinity.backup.v1.BackupCatalog"
    private let environment: ExecutionEnvironment?
    private let now: @Sendable () -> Int64

    /// - Parameter environment: how to reach S3 and resolve secrets; nil answers UNIMPLEMENTED.
    public init(environment: ExecutionEnvironment?, now: @escaping @Sendable () -> Int64 = WallClock.unixSeconds) {
        self.environment = environment
        self.now = now
    }

    public var definition: ServiceDefinition {
        func method(_ operation: CatalogScope.Operation) -> MethodHandler {
            .unary(CatalogRequest.self, CatalogResponse.self) { request, context in
                try await handle(operation, request, annotations: context.annotations)
            }
        }
        return ServiceDefinition(name: Self.serviceName, methods: [
            "ListBackups": method(.list), "GetBackup": method(.get), "DeleteBackup": method(.delete),
            "ApplyRetention": method(.retention), "CleanBroken": method(.cleanBroken), "VerifyBackup": method(.verify),
        ])
    }

    /// Answers one catalog call (the gRPC methods and the `list`/`retention` commands).
    /// - Parameter annotations: where the call's CHI and backup name are noted for its log line.
    public func handle(_ operation: CatalogScope.Operation, _ request: CatalogRequest,
                       annotations: CallAnnotations = CallAnnotations()) async throws(RPCError) -> CatalogResponse {
        try await ErrorMap.mapping { try await answer(operation, request, annotations: annotations) }
    }

    private func answer(_ operation: CatalogScope.Operation, _ request: CatalogRequest, annotations: CallAnnotations) async throws -> CatalogResponse {
        let scope = try CatalogScope.decode(operation, chiDefinition: request.chiDefinition, backupDefinition: request.backupDefinition,
                                            parameters: request.parameters)
        annotations["chi"] = scope.chi
        annotations["backup"] = scope.backupName
        if scope.dryRun { annotations["dry_run"] = "true" }
        guard let environment else { throw BackupServiceProvider.notExecutable }
        let store = try store(scope, environment)
        // CleanBroken repairs: it trusts the manifests only (a hand-deleted one shows there).
        let records = try await store.records(rebuild: scope.rebuildIndex || operation == .cleanBroken)
        var metadata = ["location": scope.s3.s3URI(forKey: store.root), "dry_run": String(scope.dryRun)]
        func named(_ name: String) throws -> BackupRecord {
            guard let record = records.first(where: { $0.name == name }) else {
                throw DomainError(.notFound, "no backup \(name) in \(scope.s3.s3URI(forKey: store.root))")
            }
            return record
        }
        switch operation {
        case .list:
            // Pages in folder order (the names' order, as S3 lists them); the token is the last name given.
            var page = scope.pageToken.map { token in records.filter { $0.name > token } } ?? records
            if let size = scope.pageSize, page.count > size {
                page = Array(page.prefix(size))
                metadata["next_page_token"] = page.last!.name
            }
            return CatalogResponse(backups: page.map(Self.info), metadata: metadata)
        case .get:
            return CatalogResponse(backups: [Self.info(try named(scope.backupName!))], metadata: metadata)
        case .delete:
            let record = try named(scope.backupName!)
            let dependents = Retention.dependents(of: record.name, in: records)
            if !dependents.isEmpty {
                guard scope.force else {
                    throw DomainError(.failedPrecondition, "\(record.name) is the base of \(dependents.map(\.name).joined(separator: ", ")): "
                                   + "delete those first, or set parameters[\"force\"] = \"true\" and leave them broken")
                }
                metadata["broken"] = dependents.map(\.name).joined(separator: ",")
            }
            if !scope.dryRun { metadata["objects_deleted"] = String(try await store.delete(record.name)) }
            return CatalogResponse(backups: records.filter { $0.name != record.name }.map(Self.info), deleted: [Self.info(record)], metadata: metadata)
        case .retention:
            let decision = Retention.decide(records, scope.rules, now: now())
            // Why each backup stays or goes: what a dry run is for.
            for (name, reason) in decision.reasons { metadata["why.\(name)"] = reason }
            if !scope.dryRun { metadata["objects_deleted"] = String(try await deleteAll(decision.delete.map(\.name), store)) }
            return CatalogResponse(backups: decision.keep.map(Self.info), deleted: decision.delete.map(Self.info), metadata: metadata)
        case .verify:
            let (record, verification) = try await verify(request, scope, records: records, environment)
            metadata.merge(Self.metadata(of: verification)) { _, new in new }
            return CatalogResponse(backups: [Self.info(record)], metadata: metadata)
        case .cleanBroken:
            var broken = Retention.broken(records, now: now(), olderThan: scope.olderThan).map { ($0.record.name, Self.info($0.record), $0.reason) }
            for record in records where record.isCompleted && !broken.contains(where: { $0.0 == record.name }) {
                // Data missing: ClickHouse writes each shard's `.backup` last.
                let finished = try await store.keys(of: record.name).filter { $0.hasSuffix("/.backup") }.count
                if finished < record.shards { broken.append((record.name, Self.info(record), "\(finished) of \(record.shards) shards' data found")) }
            }
            // Some stores keep a deleted backup's empty folder: only folders with objects count.
            for folder in try await store.folders() where !records.contains(where: { $0.name == folder }) {
                guard !(try await store.keys(of: folder)).isEmpty else { continue }
                broken.append((folder, BackupInfo(backupName: folder, state: "Broken", location: scope.s3.s3URI(forKey: "\(store.root)\(folder)/")),
                               "no manifest"))
            }
            for (name, _, reason) in broken { metadata["reason.\(name)"] = reason }
            if !scope.dryRun { metadata["objects_deleted"] = String(try await deleteAll(broken.map(\.0), store)) }
            let gone = Set(broken.map(\.0))
            return CatalogResponse(backups: records.filter { !gone.contains($0.name) }.map(Self.info), deleted: broken.map(\.1), metadata: metadata)
        }
    }

    /// VerifyBackup: plans a restore of the backup (its hosts, destinations and secrets) and
    /// reads it back instead of restoring it.
    private func verify(_ request: CatalogRequest, _ scope: CatalogScope, records: [BackupRecord],
                        _ environment: ExecutionEnvironment) async throws -> (BackupRecord, BackupVerification) {
        guard !request.chiDefinition.isEmpty else {
            throw DomainError(.invalidArgument, "chi_definition: is required to verify: the CHI's servers read the backup")
        }
        var parameters = request.parameters.filter { $0.key == "region" || $0.key == "backup_name" }
        if let name = scope.backupName { parameters["backup_name"] = name }
        let startedAt = now()
        let plan = try Planner.plan(.restore, Planner.Request(chiDefinition: request.chiDefinition, backupDefinition: request.backupDefinition,
                                                              parameters: parameters, s3RetryAttempts: environment.s3RetryAttempts,
                                                              digest: .openSSL), now: startedAt)
        guard var record = records.first(where: { $0.name == plan.backupName }) else {
            throw DomainError(.notFound, "no backup \(plan.backupName) in \(plan.location)")
        }
        let clock = ContinuousClock(), started = clock.now
        func report(_ failure: (code: String, message: String)?) {
            environment.onOutcome(OperationOutcome(operation: "verify", id: record.id, backupName: record.name, chi: scope.chi, cluster: plan.cluster,
                                                   failure: failure, duration: clock.now - started, bytes: nil, finishedAt: now(), reused: false))
        }
        let verification: BackupVerification
        do {
            verification = try await OperationRunner(plan: plan, environment: environment, startedAt: startedAt, now: now).verify(hostName: scope.host)
        } catch {
            let failure = ErrorMap.rpcError(error)
            report((failure.code.description, failure.message))
            throw error
        }
        // A mismatch is data loss to metrics and notifications, though the call itself worked.
        report(verification.passed ? nil : ("DATA_LOSS", verification.summary))
        record.verification = BackupRecord.Verdict(at: verification.verifiedAt, passed: verification.passed, summary: verification.summary)
        environment.logger.log(level: verification.passed ? .info : .error, "backup verified",
                               metadata: ["chi": .string(scope.chi), "backup": .string(record.name), "verification": .string(verification.summary)])
        return (record, verification)
    }

    /// A verification as metadata: the verdict and one line per table.
    static func metadata(of verification: BackupVerification) -> [String: String] {
        var metadata = ["verified": String(verification.passed), "verification": verification.summary,
                        "verified_at": String(verification.verifiedAt), "hosts": verification.hosts.joined(separator: ",")]
        for table in verification.tables {
            metadata["table.\(table.part).\(table.table.database).\(table.table.table)"] = table.problem.map { "mismatch: \($0)" }
                ?? "ok: \(table.rows ?? 0) rows"
        }
        return metadata
    }

    /// Deletes backups one after another, in the order given (dependents before their bases).
    private func deleteAll(_ names: [String], _ store: CatalogStore) async throws -> Int {
        var count = 0
        for name in names { count += try await store.delete(name) }
        return count
    }

    private func store(_ scope: CatalogScope, _ environment: ExecutionEnvironment) throws -> CatalogStore {
        guard let credentials = scope.s3.credentials else {
            throw DomainError(.failedPrecondition, "the catalog needs the CHB's S3 credential references: the plugin lists and deletes with them")
        }
        let namespace = scope.secretsNamespace
        let signing = AWSSigning(region: scope.region ?? environment.s3Region,
                                 accessKeyID: try environment.secrets.value(credentials.accessKeyID, namespace: namespace),
                                 secretAccessKey: try environment.secrets.value(credentials.secretAccessKey, namespace: namespace))
        return CatalogStore(client: environment.objectStore(signing), scope: scope)
    }

    static func info(_ record: BackupRecord) -> BackupInfo {
        BackupInfo(backupID: record.id, backupName: record.name, state: record.state.rawValue, type: record.kind.rawValue, baseBackup: record.base ?? "",
                   totalSize: record.totalSize, startedAt: record.startedAt, stoppedAt: record.stoppedAt ?? 0, location: record.location,
                   verifiedAt: record.verification?.at ?? 0, verification: record.verification?.summary ?? "")
    }
}
