#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State guarded by a pthread mutex: the runtime's one lock.
///
/// Not `Synchronization.Mutex`: on Linux that is built on raw futex calls, which
/// ThreadSanitizer cannot see, so every hand-off through it reads as a data race and the
/// runtime's TSan run (`make sanitize`) would drown in false reports. pthread mutexes are
/// intercepted by the sanitizer and cost the same uncontended.
public final class LockedState<State>: @unchecked Sendable {
    /// The state and its mutex in one allocation, reached through pointers (no dynamic
    /// exclusivity check: the mutex makes every access exclusive). Inlinable, so callers
    /// specialize it and find its type's metadata in a cache, not by a runtime lookup.
    @usableFromInline let storage: ManagedBuffer<State, pthread_mutex_t>

    @inlinable
    public init(_ initial: State) {
        storage = ManagedBuffer<State, pthread_mutex_t>.create(minimumCapacity: 1) { _ in initial }
        storage.withUnsafeMutablePointerToElements { mutex in
            mutex.initialize(to: pthread_mutex_t())
            let rc = pthread_mutex_init(mutex, nil)
            precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        }
    }

    deinit {
        // The buffer deinitializes the state itself; the mutex is ours.
        storage.withUnsafeMutablePointerToElements { mutex in
            pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
        }
    }

    /// Runs `body` with exclusive access to the state. Keep it short; never await inside.
    @inlinable
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try storage.withUnsafeMutablePointers { state, mutex in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&state.pointee)
        }
    }
}
