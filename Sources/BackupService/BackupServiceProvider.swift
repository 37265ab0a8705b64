import BackupDomain
import BackupProtocol
import RPCRuntime
import CryptoDigest

/// `altinity.backup.v1.Backup`: plans every call; a dry run answers with the plan, any other
/// call runs it on the cluster and answers when ClickHouse is done.
public struct BackupServiceProvider: Sendable {
    public static let serviceName = "altinity.backup.v1.Backup"
    private let now: @Sendable () -> Int64
    private let environment: ExecutionEnvironment?
    private let running = RunningOperations()
    /// Every run of this process, for the Operations service.
    public let registry: OperationRegistry

    /// - Parameters:
    ///   - environment: what execution needs; nil serves plans only (real runs UNIMPLEMENTED).
    ///   - now: the wall clock (tests pass a fixed one).
    ///   - registry: where runs are recorded (shared with the Operations service).
    public init(environment: ExecutionEnvironment?, now: @escaping @Sendable () -> Int64 = WallClock.unixSeconds,
                registry: OperationRegistry = OperationRegistry()) {
        self.environment = environment
        self.now = now
        self.registry = registry
    }

    public var definition: ServiceDefinition {
        ServiceDefinition(name: Self.serviceName, methods: [
            "Backup": .unary(BackupRequest.self, BackupResult.self) { request, context in
                try await backup(request, annotations: context.annotations)
            },
            "Restore": .unary(RestoreRequest.self, RestoreResult.self) { request, context in
                try await restore(request, annotations: context.annotations)
            },
        ])
    }

    /// Handles `Backup`.
    /// - Parameter annotations: where the call's CHI, backup name and operation id are noted
    ///   for its log line.
    public func backup(_ request: BackupRequest, annotations: CallAnnotations = CallAnnotations()) async throws(RPCError) -> BackupResult {
        try await ErrorMap.mapping { try await runBackup(request, annotations: annotations) }
    }

    private func runBackup(_ request: BackupRequest, annotations: CallAnnotations) async throws -> BackupResult {
        let startedAt = now()
        let plan = try Planner.plan(.backup, Planner.Request(chiDefinition: request.chiDefinition,
                                                             backupDefinition: request.backupDefinition,
                                                             parameters: request.parameters,
                                                             s3RetryAttempts: environment?.s3RetryAttempts,
                                                             policies: environment?.policies() ?? PolicySet(), digest: .openSSL), now: startedAt)
        Self.annotate(annotations, with: plan)
        var result = try await outcome(of: plan, startedAt: startedAt)
        if let every = plan.parameters.verifyEvery, !plan.parameters.dryRun, result.metadata["reused"] != "true" {
            result.metadata.merge(await verification(after: plan, request, every: every), uniquingKeysWith: { _, new in new })
        }
        if plan.parameters.appliesRetention, !plan.parameters.dryRun {
            result.metadata.merge(await retention(after: plan, request), uniquingKeysWith: { _, new in new })
        }
        return BackupResult(backupID: plan.id, backupName: plan.name, startedAt: result.startedAt, stoppedAt: result.stoppedAt,
                            metadata: result.metadata)
    }

    /// Handles `Restore`.
    /// - Parameter annotations: as for ``backup(_:annotations:)``.
    public func restore(_ request: RestoreRequest, annotations: CallAnnotations = CallAnnotations()) async throws(RPCError) -> RestoreResult {
        try await ErrorMap.mapping { try await runRestore(request, annotations: annotations) }
    }

    private func runRestore(_ request: RestoreRequest, annotations: CallAnnotations) async throws -> RestoreResult {
        let startedAt = now()
        let plan = try Planner.plan(.restore, Planner.Request(chiDefinition: request.chiDefinition,
                                                              backupDefinition: request.backupDefinition,
                                                              parameters: request.parameters,
                                                              s3RetryAttempts: environment?.s3RetryAttempts,
                                                              policies: environment?.policies() ?? PolicySet(), digest: .openSSL), now: startedAt)
        Self.annotate(annotations, with: plan)
        let result = try await outcome(of: plan, startedAt: startedAt)
        return RestoreResult(restoreID: plan.id, restoreName: plan.name, startedAt: result.startedAt, stoppedAt: result.stoppedAt,
                             metadata: result.metadata)
    }

    /// Retention after a successful backup (`keep_full_chains`, `max_age`, `keep_daily`..., e.g. from a
    /// policy): ApplyRetention over the CHI's catalog. The backup stands whatever happens here;
    /// a failure is reported in `retention.error` and logged.
    private func retention(after plan: OperationPlan, _ request: BackupRequest) async -> [String: String] {
        var parameters = plan.parameters.retention.parameters
        if let region = plan.parameters.region { parameters["region"] = region }
        let catalog = CatalogServiceProvider(environment: environment, now: now)
        do {
            let response = try await catalog.handle(.retention, CatalogRequest(chiDefinition: request.chiDefinition,
                                                                              backupDefinition: request.backupDefinition, parameters: parameters))
            return ["retention.kept": String(response.backups.count),
                    "retention.deleted": response.deleted.map(\.backupName).joined(separator: ","),
                    "retention.objects_deleted": response.metadata["objects_deleted"] ?? "0"]
        } catch {
            let message = ErrorMap.rpcError(error).message
            environment?.logger.error("retention after the backup failed; the backup stands",
                                      metadata: ["backup": .string(plan.name), "operation_id": .string(plan.id), "error": .string(message)])
            return ["retention.error": message]
        }
    }

    /// `verify_every=N`: after a successful backup, VerifyBackup of it when none of the CHI's N
    /// newest completed backups (this one among them) has been verified. The backup stands
    /// whatever the verification finds; its verdict is in `verification` (or `verification.error`).
    private func verification(after plan: OperationPlan, _ request: BackupRequest, every: Int) async -> [String: String] {
        let catalog = CatalogServiceProvider(environment: environment, now: now)
        let parameters = plan.parameters.region.map { ["region": $0] } ?? [:]
        do {
            let listed = try await catalog.handle(.list, CatalogRequest(chiDefinition: request.chiDefinition,
                                                                        backupDefinition: request.backupDefinition, parameters: parameters))
            let newest = listed.backups.filter { $0.state == ManifestState.completed.rawValue }
                .sorted { ($0.startedAt, $0.stoppedAt, $0.backupName) > ($1.startedAt, $1.stoppedAt, $1.backupName) }.prefix(every)
            guard !newest.contains(where: { $0.verifiedAt > 0 }) else { return ["verification": "not due (verify_every=\(every))"] }
            let verified = try await catalog.handle(.verify, CatalogRequest(chiDefinition: request.chiDefinition, backupDefinition: request.backupDefinition,
                                                                            parameters: parameters.merging(["backup_name": plan.backupName]) { a, _ in a }))
            return ["verification": verified.metadata["verification"] ?? "", "verified": verified.metadata["verified"] ?? "false"]
        } catch {
            let message = ErrorMap.rpcError(error).message
            environment?.logger.error("verification after the backup failed; the backup stands",
                                      metadata: ["backup": .string(plan.name), "operation_id": .string(plan.id), "error": .string(message)])
            return ["verification.error": message]
        }
    }

    private static func annotate(_ annotations: CallAnnotations, with plan: OperationPlan) {
        annotations["chi"] = "\(plan.chi.namespace)/\(plan.chi.name)"
        annotations["cluster"] = plan.cluster
        annotations["backup"] = plan.backupName
        annotations["operation_id"] = plan.id
        if plan.parameters.dryRun { annotations["dry_run"] = "true" }
    }

    /// The plan itself for a dry run, else what running it produced. Both go through the
    /// process's registry: one run per backup id and per restore id (a second call joins it).
    private func outcome(of plan: OperationPlan, startedAt: Int64) async throws -> OperationRunner.RunResult {
        if plan.parameters.dryRun {
            guard let environment else { return .init(metadata: plan.metadata(), startedAt: startedAt, stoppedAt: now()) }
            let metadata = await OperationRunner(plan: plan, environment: environment, startedAt: startedAt, now: now).preview()
            return .init(metadata: metadata, startedAt: startedAt, stoppedAt: now())
        }
        guard let environment else { throw Self.notExecutable }
        let (registry, now) = (self.registry, self.now)
        let run: @Sendable () async throws -> OperationRunner.RunResult = {
            try await registry.track(plan, startedAt: startedAt, now: now) { tracker in
                var runner = OperationRunner(plan: plan, environment: environment, startedAt: startedAt, now: now)
                runner.tracker = tracker
                return try await runner.run()
            }
        }
        return try await running.run(id: plan.id, cancelOnAbort: plan.parameters.cancelOnAbort, run)
    }

    static let notExecutable = RPCError(
        .unimplemented,
        "this server was started without execution; set parameters[\"dry_run\"] = \"true\" to see the plan")
}
