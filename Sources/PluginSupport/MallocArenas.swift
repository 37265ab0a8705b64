import CGlibc
#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator gives a thread that allocates while the others hold their arenas an
/// arena of its own, up to 8 per core: a serve's threads (gRPC core's, Dispatch's transfer
/// threads, Swift's pool) had taken 11 arenas after 20k health checks, and a call meeting a
/// fresh arena touched new pages in it. With two arenas, RSS after 600k calls was 20.5-21.1
/// MiB (six serves) against 20.8-22.2 MiB without the limit (three). RSS still moves between
/// 10k and 100k calls (-0.02 to +0.71 MiB measured); its cause was not identified (the
/// thread count fell while it grew). See docs/benchmarks.md.
public enum MallocArenas {
    /// The limit ``limit(environment:)`` sets.
    public static let count: Int32 = 2

    /// Limits the process to ``count`` arenas, unless its environment chose a limit itself
    /// (`MALLOC_ARENA_MAX`, or `GLIBC_TUNABLES` naming `glibc.malloc.arena_max`), which glibc
    /// applied at its start. Call it before any thread exists: an arena made before stays.
    /// - Returns: whether the limit was set here.
    @discardableResult
    public static func limit(environment: [String: String] = currentEnvironment()) -> Bool {
        if environment["MALLOC_ARENA_MAX"] != nil || environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") == true { return false }
        return mallopt(M_ARENA_MAX, count) == 1
    }

    /// The two variables ``limit(environment:)`` looks at, from the process's environment.
    public static func currentEnvironment() -> [String: String] {
        var found: [String: String] = [:]
        for name in ["MALLOC_ARENA_MAX", "GLIBC_TUNABLES"] {
            if let value = getenv(name) { found[name] = String(cString: value) }
        }
        return found
    }
}
