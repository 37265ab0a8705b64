import CGlibc
#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread for loops that block in C calls (the completion queue, the metrics
/// socket): Swift concurrency's pool must not be blocked that way.
public enum PosixThread {
    private final class Body {
        let name: String
        let run: () -> Void
        init(_ name: String, _ run: @escaping () -> Void) { self.name = name; self.run = run }
    }

    /// Starts `body` on a new thread named `name` (its first 15 bytes: what `top -H` and
    /// /proc show); join it with `pthread_join`.
    /// - Throws: ``Failure`` (`internal`) when the system refuses a thread.
    public static func spawn(_ name: String, _ body: @escaping () -> Void) throws(Failure) -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Body(name, body)).toOpaque()  // taken back by the thread
        let rc = pthread_create(&thread, nil, { arg in
            let body = Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue()
            _ = cglibc_name_this_thread(String(decoding: body.name.utf8.prefix(15), as: UTF8.self))
            body.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw Failure(.internal, "cannot start the \(name) thread (errno \(rc))")
        }
        return thread
    }
}
