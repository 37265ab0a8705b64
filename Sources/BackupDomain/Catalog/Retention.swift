/// Which backups go: retention by whole chains, dependents of a backup, and broken backups.
/// Pure: the service lists the records and deletes what this decides.
public enum Retention {
    /// A chain: a completed full backup and every backup built on it, oldest first.
    public struct Chain: Equatable, Sendable {
        public var full: BackupRecord
        public var links: [BackupRecord]
        /// When the chain last got a backup.
        public var newest: Int64 { links.map(\.startedAt).max() ?? full.startedAt }
    }

    /// Groups records into chains, newest chain first. Records whose bases do not lead to a
    /// completed full backup belong to no chain (CleanBroken's business).
    public static func chains(_ records: [BackupRecord]) -> [Chain] {
        let fulls = records.filter { $0.kind == .full && $0.isCompleted }
        return fulls.map { full in
            let links = records.filter { record in
                guard record.name != full.name else { return true }
                var current = record, steps = 0
                while let base = current.base, steps <= records.count, let next = records.first(where: { $0.name == base }) {
                    if next.name == full.name { return true }
                    (current, steps) = (next, steps + 1)
                }
                return false
            }
            return Chain(full: full, links: links.sorted { ($0.startedAt, $0.name) < ($1.startedAt, $1.name) })
        }.sorted { ($0.full.startedAt, $0.full.name) > ($1.full.startedAt, $1.full.name) }
    }

    /// Keeps the newest `keepFullChains` chains and drops chains whose newest backup is older
    /// than `maxAge`; the newest chain always stays. Returns what goes, newest-dependent first
    /// (an incremental before its base), and what stays.
    public static func apply(_ records: [BackupRecord], keepFullChains: Int?, maxAge: Int64?, now: Int64)
        -> (keep: [BackupRecord], delete: [BackupRecord])
    {
        let all = chains(records)
        var doomed: [Chain] = []
        for (index, chain) in all.enumerated() where index > 0 {
            let beyondCount = keepFullChains.map { index >= $0 } ?? false
            let tooOld = maxAge.map { now - chain.newest > $0 } ?? false
            if beyondCount || tooOld { doomed.append(chain) }
        }
        let delete = doomed.flatMap { $0.links.reversed() }
        let gone = Set(delete.map(\.name))
        return (records.filter { !gone.contains($0.name) }, delete)
    }

    /// The backups that name `name` as their base.
    public static func dependents(of name: String, in records: [BackupRecord]) -> [BackupRecord] {
        records.filter { $0.base == name }
    }

    /// Backups to clean: failed, in progress for longer than `olderThan` seconds, or with a
    /// missing or unfinished base; each with the reason.
    public static func broken(_ records: [BackupRecord], now: Int64, olderThan: Int64) -> [(record: BackupRecord, reason: String)] {
        records.compactMap { record in
            switch record.state {
            case .completed:
                if case .failure(let error) = BackupChains.bases(of: record, in: records) { return (record, error.message) }
                return nil
            case .inProgress:
                let age = now - record.startedAt
                return age > olderThan ? (record, "in progress for \(age)s (older_than is \(olderThan)s): abandoned") : nil
            default:
                return (record, "state \(record.state.rawValue)")
            }
        }
    }
}
