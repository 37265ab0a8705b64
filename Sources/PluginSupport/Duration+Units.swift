/// Whole units of a `Duration`, for log fields, metrics and C APIs that take integers
/// (one definition for every module above the runtime).
extension Duration {
    /// Whole milliseconds (truncated).
    public var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    /// Whole nanoseconds (truncated).
    public var wholeNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
