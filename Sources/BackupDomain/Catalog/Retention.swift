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
        // Each record's chain root, found once per record (memoised): linear in the catalog.
        let byName = Dictionary(records.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var root: [String: String?] = [:]
        func rootOf(_ record: BackupRecord, depth: Int = 0) -> String? {
            if let known = root[record.name] { return known }
            let found: String?
            if record.kind == .full && record.isCompleted {
                found = record.name
            } else if let base = record.base, base != record.name, depth <= records.count, let next = byName[base] {
                found = rootOf(next, depth: depth + 1)
            } else {
                found = nil
            }
            root[record.name] = .some(found)
            return found
        }
        var links: [String: [BackupRecord]] = [:]
        for record in records { if let name = rootOf(record) { links[name, default: []].append(record) } }
        return records.filter { $0.kind == .full && $0.isCompleted }.map { full in
            Chain(full: full, links: (links[full.name] ?? []).sorted { ($0.startedAt, $0.name) < ($1.startedAt, $1.name) })
        }.sorted { ($0.full.startedAt, $0.full.name) > ($1.full.startedAt, $1.full.name) }
    }

    /// Keeps the newest `keepFullChains` chains and drops chains whose newest backup is older
    /// than `maxAge`; the newest chain always stays. Returns what goes, newest-dependent first
    /// (an incremental before its base), and what stays.
    public static func apply(_ records: [BackupRecord], keepFullChains: Int?, maxAge: Int64?, now: Int64)
        -> (keep: [BackupRecord], delete: [BackupRecord])
    {
        let decision = decide(records, RetentionRules(keepFullChains: keepFullChains, maxAge: maxAge), now: now)
        return (decision.keep, decision.delete)
    }

    /// What retention keeps and deletes, and why each.
    public struct Decision: Sendable {
        /// In the order of the records given.
        public var keep: [BackupRecord]
        /// Newest-dependent first: an incremental before its base.
        public var delete: [BackupRecord]
        /// Backup name → why it stays (every rule that keeps it) or goes.
        public var reasons: [String: String]
    }

    /// Applies `rules` to the catalog's `records`. Only members of a chain (a completed full
    /// backup and what is built on it) can go, never one in progress; a backup goes when no
    /// rule keeps it. Chain rules keep whole chains (the newest always); calendar rules keep
    /// the newest completed backup of each of the N newest days, weeks (from Monday),
    /// months or years that have one (UTC), and `keep_last` the N newest; a kept backup
    /// keeps its bases.
    ///
    /// Backups of some partitions are judged among themselves by the same rules (each a chain
    /// of one): one taken daily neither counts as the newest whole chain nor takes a whole
    /// backup's place in a calendar period.
    public static func decide(_ records: [BackupRecord], _ rules: RetentionRules, now: Int64) -> Decision {
        let partial = records.filter(\.isPartial)
        guard !partial.isEmpty, partial.count < records.count else { return decideGroup(records, rules, now: now) }
        let whole = decideGroup(records.filter { !$0.isPartial }, rules, now: now), parts = decideGroup(partial, rules, now: now)
        let gone = Set((whole.delete + parts.delete).map(\.name))
        return Decision(keep: records.filter { !gone.contains($0.name) }, delete: parts.delete + whole.delete,
                        reasons: whole.reasons.merging(parts.reasons.mapValues { $0 + " (among backups of some partitions)" }) { a, _ in a })
    }

    private static func decideGroup(_ records: [BackupRecord], _ rules: RetentionRules, now: Int64) -> Decision {
        let all = chains(records)
        var why: [String: [String]] = [:]
        func keep(_ record: BackupRecord, _ reason: String) { why[record.name, default: []].append(reason) }
        if rules.hasChainRules {
            for (index, chain) in all.enumerated() {
                let beyondCount = rules.keepFullChains.map { index >= $0 } ?? false
                let tooOld = rules.maxAge.map { now - chain.newest > $0 } ?? false
                guard index == 0 || !(beyondCount || tooOld) else { continue }
                let reason = index == 0 ? "in the newest chain (\(chain.full.name))" : "chain \(index + 1) of \(all.count) (\(chain.full.name)) is within "
                    + [rules.keepFullChains.map { "keep_full_chains=\($0)" }, rules.maxAge.map { "max_age=\($0)s" }].compactMap { $0 }.joined(separator: " and ")
                chain.links.forEach { keep($0, reason) }
            }
        }
        let completed = records.filter(\.isCompleted).sorted { ($0.startedAt, $0.name) > ($1.startedAt, $1.name) }
        if let newest = completed.first { keep(newest, "the newest backup") }
        if let count = rules.keepLast {
            for (index, record) in completed.prefix(count).enumerated() { keep(record, "keep_last=\(count): \(index + 1) of the newest") }
        }
        for rule in rules.calendarRules {
            var periods: [String] = []
            for record in completed {
                let period = rule.period.name(of: record.startedAt)
                guard !periods.contains(period) else { continue }
                guard periods.count < rule.count else { break }
                periods.append(period)
                keep(record, "\(rule.name)=\(rule.count): the newest of \(period)")
            }
        }
        keepBases(of: records, why: &why)
        let rules = rules.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        var reasons = why.mapValues { "kept: " + $0.joined(separator: "; ") }
        var delete: [BackupRecord] = []
        for chain in all {
            for record in chain.links.reversed() where why[record.name] == nil && record.state != .inProgress {
                delete.append(record)
                reasons[record.name] = "deleted: no rule keeps it (\(rules.isEmpty ? "no rules" : rules))"
            }
        }
        let gone = Set(delete.map(\.name))
        return Decision(keep: records.filter { !gone.contains($0.name) }, delete: delete, reasons: reasons)
    }

    /// Every base of a kept backup is kept too, down to its full backup.
    private static func keepBases(of records: [BackupRecord], why: inout [String: [String]]) {
        let byName = Dictionary(records.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in why.keys.sorted() {
            var current = byName[name], steps = 0
            while let base = current?.base, let next = byName[base], steps <= records.count {
                if why[base]?.contains(where: { $0.hasPrefix("base of ") }) != true { why[base, default: []].append("base of \(name)") }
                (current, steps) = (next, steps + 1)
            }
        }
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
