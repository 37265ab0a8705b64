import CGRPC
#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

/// Owns the server's one completion queue and the one thread that polls it.
///
/// Every event is a ``CompletionTag``; the thread runs its body and releases it. The thread
/// ends when the queue reports `GRPC_QUEUE_SHUTDOWN`, which the core sends only after every
/// pending event has been delivered, so no tag is ever leaked or released twice.
final class CompletionQueue: @unchecked Sendable {
    /// `grpc_completion_queue *`, destroyed in deinit (after the thread has drained it).
    let raw: OpaquePointer
    private var thread: pthread_t?
    private var isShutDown = false

    init() {
        raw = grpc_completion_queue_create_for_next(nil)
    }

    /// Starts the polling thread. Called once.
    func startPolling() throws {
        do { thread = try PosixThread.spawn("completion queue") { self.poll() } } catch { throw RPCError(error) }
    }

    private func poll() {
        while true {
            let event = grpc_completion_queue_next(raw, gpr_inf_future(GPR_CLOCK_REALTIME), nil)
            switch event.type {
            case GRPC_OP_COMPLETE:
                CompletionTag.complete(from: event.tag, success: event.success != 0)
            case GRPC_QUEUE_SHUTDOWN:
                return
            default:
                continue  // GRPC_QUEUE_TIMEOUT cannot happen with an infinite deadline
            }
        }
    }

    /// Shuts the queue down and waits for the thread to drain it. Nothing may start an
    /// operation on this queue afterwards.
    func shutdownAndJoin() {
        guard !isShutDown else { return }
        isShutDown = true
        grpc_completion_queue_shutdown(raw)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    deinit {
        // A queue that never polled (a server that failed to start) is drained here:
        // the core refuses to destroy a queue that still holds events.
        if !isShutDown {
            grpc_completion_queue_shutdown(raw)
            while grpc_completion_queue_next(raw, gpr_inf_future(GPR_CLOCK_REALTIME), nil).type != GRPC_QUEUE_SHUTDOWN {}
        }
        grpc_completion_queue_destroy(raw)
    }
}
