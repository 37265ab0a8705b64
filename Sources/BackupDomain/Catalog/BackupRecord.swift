/// One backup as its manifest records it: what listing, chaining and retention work from.
public struct BackupRecord: Equatable, Sendable {

    public enum Kind: String, Sendable { case full, incremental }

    public var name: String
    public var id: String
    public var state: ManifestState
    public var kind: Kind
    /// The backup this one builds on (incremental only).
    public var base: String?
    public var startedAt: Int64
    public var stoppedAt: Int64?
    public var totalSize: Int64
    public var shards: Int
    public var location: String
    /// The last verification: when, whether it passed, and the verdict in words.
    public var verification: Verdict? = nil
    /// The partitions a backup of some partitions holds (nil: whole tables): it is full,
    /// never a base, and retention judges it among such backups only.
    public var partitions: String? = nil

    public var isPartial: Bool { partitions != nil }
    /// Each part's archive format (nil: folders): where a later incremental finds it as its base.
    public var archive: String? = nil

    public struct Verdict: Equatable, Sendable {
        public var at: Int64
        public var passed: Bool
        /// `passed: 4 tables, 2000 rows` or `failed: db.t (part 1): ...`.
        public var summary: String

        public init(at: Int64, passed: Bool, summary: String) { (self.at, self.passed, self.summary) = (at, passed, summary) }
    }

    public init(name: String, id: String, state: ManifestState, kind: Kind, base: String?, startedAt: Int64, stoppedAt: Int64?,
                totalSize: Int64, shards: Int, location: String) {
        (self.name, self.id, self.state, self.kind, self.base) = (name, id, state, kind, base)
        (self.startedAt, self.stoppedAt, self.totalSize, self.shards, self.location) = (startedAt, stoppedAt, totalSize, shards, location)
    }

    public var isCompleted: Bool { state == .completed }
}

/// Incremental chains over the backups of one CHI: which base a new backup uses, and whether
/// a backup's bases are all still there.
public enum BackupChains {
    /// What the next backup is.
    public enum Choice: Equatable, Sendable {
        case full(reason: String)
        case incremental(base: BackupRecord, reason: String)
    }

    /// The bases of `record`, nearest first, or the first link that is missing or not completed.
    public static func bases(of record: BackupRecord, in records: [BackupRecord]) -> Result<[BackupRecord], DomainError> {
        var chain: [BackupRecord] = []
        var current = record
        while let baseName = current.base {
            guard chain.count < records.count, let base = records.first(where: { $0.name == baseName }) else {
                return .failure(DomainError(.failedPrecondition, "base backup \(baseName) of \(current.name) is missing: the chain of \(record.name) is broken"))
            }
            guard base.isCompleted else {
                return .failure(DomainError(.failedPrecondition, "base backup \(baseName) of \(current.name) is \(base.state.rawValue), not Completed"))
            }
            chain.append(base)
            current = base
        }
        return .success(chain)
    }

    /// Chooses full or incremental for a new backup of a cluster with `shards` shards.
    /// Only completed backups with intact chains and the same shard count are bases.
    public static func choose(_ type: OperationParameters.BackupType, records: [BackupRecord], shards: Int, now: Int64,
                              fullInterval: Int64) throws(DomainError) -> Choice {
        if type == .full { return .full(reason: "parameters[\"type\"] = full") }
        let usable = records
            .filter { $0.isCompleted && !$0.isPartial && $0.shards == shards && (try? bases(of: $0, in: records).get()) != nil }
            .sorted { ($0.startedAt, $0.name) < ($1.startedAt, $1.name) }
        if type == .incremental {
            guard let latest = usable.last else {
                throw DomainError(.failedPrecondition, "parameters[\"type\"] = incremental, but this CHI has no completed backup of \(shards) shards to build on")
            }
            return .incremental(base: latest, reason: "parameters[\"type\"] = incremental: on the latest completed backup")
        }
        guard let lastFull = usable.last(where: { $0.kind == .full }) else {
            return .full(reason: "auto: no completed full backup of this CHI yet")
        }
        let age = now - lastFull.startedAt
        if age >= fullInterval {
            return .full(reason: "auto: the last full backup \(lastFull.name) is \(age)s old, full_interval is \(fullInterval)s")
        }
        // Deep chaining: on the latest completed link of the last full backup's chain.
        let latest = usable.last { record in
            record.name == lastFull.name || ((try? bases(of: record, in: records).get())?.last?.name == lastFull.name)
        } ?? lastFull
        return .incremental(base: latest, reason: "auto: the last full backup \(lastFull.name) is \(age)s old, under full_interval \(fullInterval)s")
    }
}
