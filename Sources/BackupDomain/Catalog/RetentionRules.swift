/// What retention keeps: whole chains by count and age (`keep_full_chains`, `max_age`), and
/// calendar rules over backups (`keep_last`, `keep_daily`, `keep_weekly`, `keep_monthly`,
/// `keep_yearly`: grandfather-father-son). A backup stays when any rule keeps it, and a kept
/// incremental keeps every backup it is built on; the newest backup always stays.
public struct RetentionRules: Equatable, Sendable {
    public var keepFullChains: Int?
    /// Seconds: chains whose newest backup is older go (with `keepFullChains`: both must allow a chain).
    public var maxAge: Int64?
    public var keepLast: Int?
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?
    public var keepYearly: Int?

    public init(keepFullChains: Int? = nil, maxAge: Int64? = nil, keepLast: Int? = nil, keepDaily: Int? = nil,
                keepWeekly: Int? = nil, keepMonthly: Int? = nil, keepYearly: Int? = nil) {
        (self.keepFullChains, self.maxAge, self.keepLast) = (keepFullChains, maxAge, keepLast)
        (self.keepDaily, self.keepWeekly, self.keepMonthly, self.keepYearly) = (keepDaily, keepWeekly, keepMonthly, keepYearly)
    }

    /// The parameter keys, as requests, policies and the CLI spell them.
    public static let countKeys = ["keep_full_chains", "keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"]
    public static let keys = countKeys + ["max_age"]

    /// Whether any rule is set.
    public var isEmpty: Bool { self == RetentionRules() }

    /// Sets the rule `key` (one of ``keys``) from its text; nil when the value is not valid,
    /// with the reason.
    public mutating func set(_ key: String, _ value: String) -> String? {
        if key == "max_age" {
            guard let seconds = OperationParameters.parseDuration(value), seconds > 0 else { return "must be a duration such as 30d or 12h, not \(BoundedText.quoted(value))" }
            maxAge = seconds
            return nil
        }
        guard let count = Int(value), (1...100_000).contains(count) else { return "must be a count from 1 to 100000, not \(BoundedText.quoted(value))" }
        switch key {
        case "keep_full_chains": keepFullChains = count
        case "keep_last": keepLast = count
        case "keep_daily": keepDaily = count
        case "keep_weekly": keepWeekly = count
        case "keep_monthly": keepMonthly = count
        case "keep_yearly": keepYearly = count
        default: return "is not a retention rule"
        }
        return nil
    }

    /// The rules as parameters (what a backup passes to the retention that follows it).
    public var parameters: [String: String] {
        var result: [String: String] = [:]
        let counts: [(String, Int?)] = [("keep_full_chains", keepFullChains), ("keep_last", keepLast), ("keep_daily", keepDaily),
                                        ("keep_weekly", keepWeekly), ("keep_monthly", keepMonthly), ("keep_yearly", keepYearly)]
        for (key, value) in counts { if let value { result[key] = String(value) } }
        if let maxAge { result["max_age"] = "\(maxAge)s" }
        return result
    }

    var hasChainRules: Bool { keepFullChains != nil || maxAge != nil }

    /// The calendar rules with the period each counts in.
    var calendarRules: [(name: String, count: Int, period: CalendarPeriod)] {
        let rules: [(String, Int?, CalendarPeriod)] = [("keep_daily", keepDaily, .day), ("keep_weekly", keepWeekly, .week),
                                                       ("keep_monthly", keepMonthly, .month), ("keep_yearly", keepYearly, .year)]
        return rules.compactMap { name, count, period in count.map { (name, $0, period) } }
    }
}

/// A calendar period in UTC; weeks start on Monday.
enum CalendarPeriod: Sendable {
    case day, week, month, year

    /// The period holding `seconds` (Unix time), named by its first day: `2026-11-30`,
    /// `week of 2026-11-30`, `2026-11`, `2026`.
    func name(of seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        switch self {
        case .day: return Self.date(days)
        case .week:
            let weekday = ((days + 3) % 7 + 7) % 7  // 1970-01-01 was a Thursday: Monday is 0
            return "week of " + Self.date(days - weekday)
        case .month: return String(Self.date(days).prefix(7))
        case .year: return String(UTCTime(unixSeconds: seconds).year)
        }
    }

    /// `2026-11-30` for a day counted from 1970-01-01.
    static func date(_ days: Int64) -> String { String(UTCTime(unixSeconds: days * 86_400).iso8601.prefix(10)) }
}
