#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread for loops that block in C calls (the completion queue, the metrics
/// socket): Swift concurrency's pool must not be blocked that way.
public enum PosixThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; join it with `pthread_join`.
    /// - Throws: ``Failure`` (`internal`) when the system refuses a thread.
    public static func spawn(_ name: String, _ body: @escaping () -> Void) throws(Failure) -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Body(body)).toOpaque()  // taken back by the thread
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw Failure(.internal, "cannot start the \(name) thread (errno \(rc))")
        }
        return thread
    }
}
