import CGRPC

/// What the core hands back when an operation completes: a retained object whose address is
/// the `void *tag`. Ownership rule: `retainedPointer()` gives the core one reference; the
/// polling thread that dequeues the event takes it back exactly once (`complete(from:)`).
/// If the core refuses the operation (no event will come), `releaseUnused` gives it back.
final class CompletionTag: @unchecked Sendable {
    private let body: (Bool) -> Void

    /// - Parameter body: runs on a polling thread (the main one or its helper) with the event's
    ///   success flag; keep it short, and lock what it shares.
    init(_ body: @escaping (Bool) -> Void) { self.body = body }

    /// One reference for the core; balanced by `complete(from:)` or `releaseUnused(_:)`.
    func retainedPointer() -> UnsafeMutableRawPointer {
        let pointer = Unmanaged.passRetained(self).toOpaque()
        cgrpc_tag_handoff_release(pointer)
        return pointer
    }

    /// Takes back the core's reference and runs the body.
    static func complete(from pointer: UnsafeMutableRawPointer, success: Bool) {
        cgrpc_tag_handoff_acquire(pointer)
        let tag = Unmanaged<CompletionTag>.fromOpaque(pointer).takeRetainedValue()
        tag.body(success)
    }

    /// Takes back the reference of an operation the core refused.
    static func releaseUnused(_ pointer: UnsafeMutableRawPointer) {
        Unmanaged<CompletionTag>.fromOpaque(pointer).release()
    }
}
