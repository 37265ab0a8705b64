/// Who does what once it is known which replicas answer: per shard, the first replica that
/// answers takes the shard's data; in a restore the shard's other answering replicas restore
/// the structure only (replicated tables then fetch the data from the first). Pure: the
/// executor probes the hosts and passes in the ones that did not answer.
public struct HostAssignment: Equatable, Sendable {
    /// One host per shard (every host with `replicas=all`), in shard order.
    public var data: [PlannedHost] = []
    /// Restore only: the other replicas, after the data hosts are done.
    public var schema: [PlannedHost] = []
    /// The other replicas' own copies of the tables that are not replicated: written next to
    /// the data (backup, `local_tables=each_replica`), restored after the structure (restore).
    public var local: [PlannedHost] = []
    /// Copies in the backup that no host of this cluster restores, in words.
    public var unrestoredCopies: [String] = []
    /// Replicas left out because they did not answer, with the reason.
    public var skipped: [Skipped] = []
    /// Shards nobody can serve, in words; non-empty means nothing may start.
    public var unavailable: [String] = []

    public init(data: [PlannedHost] = [], schema: [PlannedHost] = [], local: [PlannedHost] = [], skipped: [Skipped] = [],
                unavailable: [String] = []) {
        self.data = data
        self.schema = schema
        self.local = local
        self.skipped = skipped
        self.unavailable = unavailable
    }

    public struct Skipped: Equatable, Sendable {
        public var host: Host
        public var reason: String

        public init(host: Host, reason: String) {
            self.host = host
            self.reason = reason
        }
    }
}

/// What a backup holds per shard, from its manifest: which replica wrote `shard-S/`, and which
/// replicas wrote their own copy of the tables that are not replicated.
public struct BackupLayout: Equatable, Sendable {
    public var dataReplica: [Int: Int]
    public var localCopies: [Int: [Int]]

    public init(dataReplica: [Int: Int] = [:], localCopies: [Int: [Int]] = [:]) {
        self.dataReplica = dataReplica
        self.localCopies = localCopies
    }
}

extension OperationPlan {
    /// Assigns the hosts given the ones that did not answer (`fqdn` → reason). A restore
    /// gets the backup's `layout`: the replica that wrote a shard's data takes it back when it
    /// answers, and each replica's own copy goes back to that replica.
    public func assign(unreachable: [String: String], layout: BackupLayout = BackupLayout()) -> HostAssignment {
        var assignment = HostAssignment()
        var shards: [Int] = []
        for candidate in candidates where !shards.contains(candidate.host.shardIndex) { shards.append(candidate.host.shardIndex) }
        for shard in shards {
            let replicas = candidates.filter { $0.host.shardIndex == shard }
            let down = replicas.filter { unreachable[$0.host.fqdn] != nil }
            let up = replicas.filter { unreachable[$0.host.fqdn] == nil }
            /// The first candidate of each host (a host has several when shards merge onto it).
            func unique(_ hosts: [PlannedHost]) -> [PlannedHost] {
                var seen: [Host] = []
                return hosts.filter { candidate in
                    guard !seen.contains(candidate.host) else { return false }
                    seen.append(candidate.host)
                    return true
                }
            }
            func described(_ hosts: [PlannedHost]) -> String {
                hosts.map { "\($0.host.fqdn) (\(unreachable[$0.host.fqdn]!))" }.joined(separator: ", ")
            }
            if parameters.replicas == .all {
                // Every replica holds its own data: none can stand in for another.
                if !down.isEmpty { assignment.unavailable.append("shard \(shard): \(described(down))") }
                assignment.data += up
                continue
            }
            // A restore gives the data back to the replica that wrote it (its own rows of the
            // tables that are not replicated are in it), when that one answers.
            let writer = layout.dataReplica[shard].flatMap { index in up.first { $0.host.replicaIndex == index } }
            guard let first = writer ?? up.first else {
                assignment.unavailable.append("shard \(shard): no replica answers: \(unique(down).map { "\($0.host.fqdn) (\(unreachable[$0.host.fqdn]!))" }.joined(separator: ", "))")
                continue
            }
            // Every candidate of the chosen replica: one per backup shard it restores.
            assignment.data += up.filter { $0.host == first.host }
            assignment.skipped += unique(down).map { HostAssignment.Skipped(host: $0.host, reason: unreachable[$0.host.fqdn]!) }
            let others = unique(up.filter { $0.host != first.host })
            if operation == .restore {
                assignment.schema += others.map {
                    $0.schemaOnly(reason: "replica \($0.host.replicaIndex) of shard \(shard): structure only; "
                                  + "replicated tables fetch the data from \(first.host.fqdn)")
                }
                assignLocalRestores(shard: shard, up: others, writer: first, layout: layout, into: &assignment)
            } else if parameters.localTables == .eachReplica {
                assignment.local += others.map {
                    localCopy(of: $0, reason: "replica \($0.host.replicaIndex) of shard \(shard): its own copy of the tables that are not replicated")
                }
            }
        }
        return assignment
    }

    /// Each replica's own copy goes back to the replica of the same index; a copy whose replica
    /// is not there (or took the shard's data instead) is named.
    private func assignLocalRestores(shard: Int, up: [PlannedHost], writer: PlannedHost, layout: BackupLayout,
                                     into assignment: inout HostAssignment) {
        guard parameters.shardMapping.isEmpty else {
            assignment.unrestoredCopies += (layout.localCopies[shard] ?? []).map {
                "shard \(shard) replica \($0): parameters[\"shard_mapping\"] moves shards, and a replica's own copy has no replica to go to"
            }
            return
        }
        for replica in layout.localCopies[shard] ?? [] {
            if let target = up.first(where: { $0.host.replicaIndex == replica }) {
                assignment.local.append(localCopy(of: target, reason: "replica \(replica) of shard \(shard): its own copy of the tables that are not replicated"))
            } else if writer.host.replicaIndex == replica {
                assignment.unrestoredCopies.append("shard \(shard) replica \(replica): that replica took the shard's data, which holds the rows of the replica that wrote it")
            } else {
                assignment.unrestoredCopies.append("shard \(shard) replica \(replica): no such replica answers in cluster \(BoundedText.quoted(cluster))")
            }
        }
    }

    /// Why a restore of a backup with `backupShards` shards cannot go to this cluster as
    /// planned, or nil when it can.
    public func shardMismatch(backupShards: Int) -> String? {
        if parameters.shardMapping.isEmpty {
            guard backupShards != shardCount else { return nil }
            return "the backup has \(backupShards) shards and cluster \(BoundedText.quoted(cluster)) has \(shardCount); "
                + "say which backup shard goes to which cluster shard with parameters[\"shard_mapping\"] (e.g. \"0:0,1:1\", or \"0:0,1:0\" to merge two backup shards into one)"
        }
        let sources = Set(parameters.shardMapping.map(\.source))
        if let outside = sources.sorted().first(where: { $0 >= backupShards }) {
            return "parameters[\"shard_mapping\"] names backup shard \(outside); the backup has \(backupShards) (0 to \(backupShards - 1))"
        }
        let unmapped = (0..<backupShards).filter { !sources.contains($0) }
        if !unmapped.isEmpty {
            return "parameters[\"shard_mapping\"] leaves backup shards \(unmapped.map(String.init).joined(separator: ", ")) unrestored; map every shard"
        }
        return nil
    }
}
