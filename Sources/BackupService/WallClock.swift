#if canImport(Glibc)
import Glibc
#endif

/// Unix time for results (`started_at`, `stopped_at` are Unix seconds).
public enum WallClock {
    /// Seconds since the epoch, now.
    public static func unixSeconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}
