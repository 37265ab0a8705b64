import BackupClients
import BackupDomain

/// Which hosts a run uses: every replica probed (a shard's only one with the read its
/// operation starts with), the parts assigned around those that do not answer, and the
/// refusal of tables that are not replicated where `local_tables=refuse` says so.
extension OperationRunner {
    /// Probes every replica, then assigns the parts; a shard nobody can serve stops the run here.
    func assignHosts(_ resolved: ResolvedSecrets, layout: BackupLayout) async throws -> HostAssignment {
        try assign(try await probe(resolved).down, layout: layout)
    }

    /// The replicas that do not answer, with why. With `readingTables`, a shard's only replica
    /// (nothing to choose there) is probed with the read of its tables that its operation
    /// starts with, and the answer is kept for it (``HostOperation/EarlyTables``): one round
    /// trip fewer before its statement.
    func probe(_ resolved: ResolvedSecrets, readingTables: Bool = false) async throws
        -> (down: [String: String], early: [String: HostOperation.EarlyTables]) {
        var reads: [String: String] = [:]
        if readingTables {
            // A host restoring several backup shards is a candidate once for each.
            for replicas in Dictionary(grouping: plan.candidates, by: \.host.shardIndex).values
                where Set(replicas.map(\.host.fqdn)).count == 1 {
                let planned = replicas[0]
                reads[planned.host.fqdn] = hostOperation(planned, verb: verb, resolved: resolved, renames: renames).tablesQuery
            }
        }
        let probe = ReplicaProbe(environment: environment, client: { [self] in client($0, resolved) })
        let (down, read) = try await probe.probe(plan.candidates.map(\.host), reading: reads)
        return (down, read.mapValues(HostOperation.EarlyTables.init))
    }

    /// The statement's verb.
    var verb: BackupStatement.Verb { plan.operation == .backup ? .backup : .restore }

    /// A restore's database renames (`database_mapping`), source to target; none for a backup.
    var renames: [String: String] {
        guard plan.operation == .restore else { return [:] }
        return Dictionary(plan.parameters.databaseMapping.map { ($0.source, $0.target) }, uniquingKeysWith: { a, _ in a })
    }

    /// The parts assigned around the replicas that did not answer.
    func assign(_ unreachable: [String: String], layout: BackupLayout) throws -> HostAssignment {
        let assignment = plan.assign(unreachable: unreachable, layout: layout)
        guard assignment.unavailable.isEmpty else {
            throw DomainError(.failedPrecondition, "\(assignment.unavailable.joined(separator: "; ")); nothing was started")
        }
        return assignment
    }

    /// `local_tables=refuse`: a shard with several replicas whose data replica has tables that
    /// are not replicated is refused before any BACKUP starts.
    func refuseLocalTables(_ assignment: HostAssignment, _ resolved: ResolvedSecrets) async throws {
        for planned in assignment.data where plan.candidates.filter({ $0.host.shardIndex == planned.host.shardIndex }).count > 1 {
            let local = try await hostOperation(planned, verb: .backup, resolved: resolved).listSelectedTables().filter { $0.kind == .local }
            guard !local.isEmpty else { continue }
            let names = local.map { "\($0.name.database).\($0.name.table) (\($0.engine))" }.joined(separator: ", ")
            throw DomainError(.failedPrecondition, "shard \(planned.host.shardIndex) has several replicas and tables that are not replicated: "
                           + "\(BoundedText.bounded(names)); each replica holds its own rows, and parameters[\"local_tables\"] = \"refuse\". "
                           + "Use local_tables=each_replica to back up every replica's copy, first_replica to take the first's only, "
                           + "or make the tables Replicated; nothing was started")
        }
    }
}
