import BackupDomain
import BackupProtocol
import RPCRuntime

/// `altinity.backup.v1.Backup`: plans every call; a dry run answers with the plan.
/// Execution against ClickHouse is not built yet: a real run answers UNIMPLEMENTED.
public struct BackupServiceProvider: Sendable {
    public static let serviceName = "altinity.backup.v1.Backup"
    private let now: @Sendable () -> Int64

    /// - Parameter now: the wall clock (tests pass a fixed one).
    public init(now: @escaping @Sendable () -> Int64 = WallClock.unixSeconds) { self.now = now }

    public var definition: ServiceDefinition {
        ServiceDefinition(name: Self.serviceName, methods: [
            "Backup": .unary(BackupRequest.self, BackupResult.self) { request, _ in try backup(request) },
            "Restore": .unary(RestoreRequest.self, RestoreResult.self) { request, _ in try restore(request) },
        ])
    }

    /// Handles `Backup`.
    public func backup(_ request: BackupRequest) throws -> BackupResult {
        let startedAt = now()
        let plan = try Planner.plan(.backup, Planner.Request(chiDefinition: request.chiDefinition,
                                                             backupDefinition: request.backupDefinition,
                                                             parameters: request.parameters), now: startedAt)
        guard plan.parameters.dryRun else { throw Self.notExecutable }
        return BackupResult(backupID: plan.id, backupName: plan.name, startedAt: startedAt, stoppedAt: now(),
                            metadata: plan.metadata())
    }

    /// Handles `Restore`.
    public func restore(_ request: RestoreRequest) throws -> RestoreResult {
        let startedAt = now()
        let plan = try Planner.plan(.restore, Planner.Request(chiDefinition: request.chiDefinition,
                                                              backupDefinition: request.backupDefinition,
                                                              parameters: request.parameters), now: startedAt)
        guard plan.parameters.dryRun else { throw Self.notExecutable }
        return RestoreResult(restoreID: plan.id, restoreName: plan.name, startedAt: startedAt, stoppedAt: now(),
                             metadata: plan.metadata())
    }

    static let notExecutable = RPCError(
        .unimplemented,
        "this version plans backups and restores but does not run them yet; set parameters[\"dry_run\"] = \"true\" to see the plan")
}
