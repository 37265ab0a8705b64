import Testing
@testable import BackupDomain

/// Calendar retention (grandfather-father-son) over a synthetic catalog of three years of
/// daily backups: a full one every Monday, every other day an incremental on that Monday's.
@Suite struct CalendarRetentionTests {
    static let day: Int64 = 86_400
    /// 2024-01-01 (a Monday), 01:00 UTC.
    static let first: Int64 = 1_704_070_800

    static func name(_ days: Int64) -> String { "d-" + CalendarPeriod.day.name(of: first + days * day) }

    /// 2024-01-01 to 2026-11-30: 1065 backups.
    static let records: [BackupRecord] = (0..<1065).map { (index: Int64) -> BackupRecord in
        let monday = index - index % 7
        return BackupRecord(name: name(index), id: "id-\(index)", state: .completed, kind: index == monday ? .full : .incremental,
                            base: index == monday ? nil : name(monday), startedAt: first + index * day, stoppedAt: first + index * day + 60,
                            totalSize: 1, shards: 1, location: "")
    }

    @Test func civilDatesAndPeriods() {
        #expect(CalendarPeriod.date(0) == "1970-01-01" && CalendarPeriod.date(19_782) == "2024-02-29" && CalendarPeriod.day.name(of: -1) == "1969-12-31")
        #expect(Self.records.last!.name == "d-2026-11-30" && Self.records.last!.kind == .full)  // a Monday
        let sunday: Int64 = 1_795_913_600  // 2026-11-29 (Sunday) 00:53 UTC
        #expect(CalendarPeriod.day.name(of: sunday) == "2026-11-29" && CalendarPeriod.week.name(of: sunday) == "week of 2026-11-23")
        #expect(CalendarPeriod.month.name(of: sunday) == "2026-11" && CalendarPeriod.year.name(of: sunday) == "2026")
    }

    @Test func grandfatherFatherSonKeepsTheNewestOfEachPeriodAndTheirBases() {
        let rules = RetentionRules(keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3)
        let decision = Retention.decide(Self.records, rules, now: Self.first + 1065 * Self.day)
        let daily = (24...30).map { "d-2026-11-\($0)" }
        let weekly = ["d-2026-11-30", "d-2026-11-29", "d-2026-11-22", "d-2026-11-15"]
        let monthly = ["d-2026-11-30", "d-2026-10-31", "d-2026-09-30", "d-2026-08-31", "d-2026-07-31", "d-2026-06-30", "d-2026-05-31",
                       "d-2026-04-30", "d-2026-03-31", "d-2026-02-28", "d-2026-01-31", "d-2025-12-31"]
        let yearly = ["d-2026-11-30", "d-2025-12-31", "d-2024-12-31"]
        let picked = Set(daily + weekly + monthly + yearly)
        let bases = Set(Self.records.filter { picked.contains($0.name) }.compactMap(\.base))
        #expect(Set(decision.keep.map(\.name)) == picked.union(bases))
        #expect(decision.delete.count == Self.records.count - picked.union(bases).count)
        #expect(decision.delete.first?.name == "d-2026-11-21" && decision.delete.last?.name == "d-2024-01-01")
        // Dependents before their bases, so a failure midway never leaves an incremental without its base.
        let order = Dictionary(uniqueKeysWithValues: decision.delete.enumerated().map { ($1.name, $0) })
        #expect(decision.delete.allSatisfy { record in record.base.flatMap { order[$0] }.map { $0 > order[record.name]! } ?? true })
        #expect(decision.reasons["d-2025-12-31"] == "kept: keep_monthly=12: the newest of 2025-12; keep_yearly=3: the newest of 2025")
        #expect(decision.reasons["d-2026-11-23"] == "kept: base of d-2026-11-24")
        #expect(decision.reasons["d-2026-11-21"]?.hasPrefix("deleted: no rule keeps it (keep_daily=7, keep_monthly=12") == true)
    }

    @Test func keepLastAndChainRulesAddToTheCalendarRules() {
        let now = Self.first + 1065 * Self.day
        let last = Retention.decide(Self.records, RetentionRules(keepLast: 3), now: now)
        // The 3 newest (11-28, 11-29, 11-30) and the base of the first two (11-23).
        #expect(Set(last.keep.map(\.name)) == ["d-2026-11-28", "d-2026-11-29", "d-2026-11-30", "d-2026-11-23"])
        let both = Retention.decide(Self.records, RetentionRules(keepFullChains: 2, keepLast: 1), now: now)
        // keep_full_chains=2: the chains of 11-30 and 11-23 whole (1 + 7 backups).
        #expect(both.keep.count == 8 && both.keep.allSatisfy { $0.name >= "d-2026-11-23" })
    }

    @Test func nothingInProgressOrOutsideAChainIsDeleted() {
        var records = Array(Self.records.suffix(30))
        records.append(BackupRecord(name: "running", id: "r", state: .inProgress, kind: .incremental, base: "d-2026-11-02",
                                    startedAt: Self.first, stoppedAt: nil, totalSize: 0, shards: 1, location: ""))
        records.append(BackupRecord(name: "failed-full", id: "f", state: .failed, kind: .full, base: nil,
                                    startedAt: Self.first, stoppedAt: nil, totalSize: 0, shards: 1, location: ""))
        let decision = Retention.decide(records, RetentionRules(keepDaily: 1), now: Self.first + 1065 * Self.day)
        #expect(!decision.delete.contains { ["running", "failed-full"].contains($0.name) })
        #expect(decision.keep.map(\.name).contains("d-2026-11-30"))
    }

    @Test func rulesParseFromParametersWithTheirPaths() throws {
        let log = IssueLog()
        let parsed = OperationParameters.parse(["keep_daily": "7", "keep_weekly": "0", "keep_yearly": "x"], for: .backup, log: log)
        #expect(parsed.retention.keepDaily == 7 && parsed.appliesRetention)
        #expect(log.issues.map(\.path) == ["parameters[\"keep_weekly\"]", "parameters[\"keep_yearly\"]"])
        let restore = IssueLog()
        _ = OperationParameters.parse(["keep_daily": "7"], for: .restore, log: restore)
        #expect(restore.issues.count == 1)  // a restore applies no retention
        #expect(RetentionRules(maxAge: 3600, keepMonthly: 6).parameters == ["max_age": "3600s", "keep_monthly": "6"])
    }
}
