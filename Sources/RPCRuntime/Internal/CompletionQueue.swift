import CGRPC
import Dispatch
#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

/// Owns the server's one completion queue and the threads that poll it: a main polling
/// thread, always in `grpc_completion_queue_next`, and a helper that joins it while the
/// server is busy.
///
/// Why a helper: the thread in `next` is the one that reads the sockets, runs the immediate
/// handlers and starts the answers' batches. Alone, at 64 calls in flight on two cores, it
/// left the calls waiting whenever the scheduler gave its core to another thread: p99 1.3x-1.6x
/// gRPC C++'s, which polls with two "nexting" threads. A second poller all the time cost 55%
/// more CPU per call at one call at a time (each event hands the poller role over with a
/// futex wake), so the helper polls only while `busy()` holds (checked after each event) and
/// otherwise waits on a semaphore, costing nothing.
///
/// Every event is a ``CompletionTag``; whichever thread dequeues it runs its body and releases
/// it, so bodies must not assume one thread (they lock what they share). The threads end when
/// the queue reports `GRPC_QUEUE_SHUTDOWN`, which the core sends to every poller only after
/// every pending event has been delivered, so no tag is ever leaked or released twice.
final class CompletionQueue: @unchecked Sendable {
    /// `grpc_completion_queue *`, destroyed in deinit (after the threads have drained it).
    let raw: OpaquePointer
    private let busy: @Sendable () -> Bool
    private var threads: [pthread_t] = []
    private var isShutDown = false
    private let helper = LockedState(Helper())
    private let helperWake = DispatchSemaphore(value: 0)

    private struct Helper {
        /// Waiting on `helperWake`, not polling.
        var parked = true
        var stopping = false
    }

    /// - Parameter busy: whether a second poller is worth its wake-ups now (the server: more
    ///   than one live call). Called on the polling threads after each event: keep it cheap.
    init(busy: @escaping @Sendable () -> Bool = { false }) {
        raw = grpc_completion_queue_create_for_next(nil)
        self.busy = busy
    }

    /// Starts the polling thread and the (parked) helper. Called once; on a failure the
    /// threads already started are joined by ``shutdownAndJoin()``.
    func startPolling() throws {
        do {
            threads.append(try PosixThread.spawn("grpc poll") { self.poll() })
            threads.append(try PosixThread.spawn("grpc poll help") { self.help() })
        } catch { throw RPCError(error) }
    }

    private func poll() {
        while true {
            let event = grpc_completion_queue_next(raw, gpr_inf_future(GPR_CLOCK_REALTIME), nil)
            switch event.type {
            case GRPC_OP_COMPLETE:
                CompletionTag.complete(from: event.tag, success: event.success != 0)
                wakeHelperIfBusy()
            case GRPC_QUEUE_SHUTDOWN:
                return
            default:
                continue  // GRPC_QUEUE_TIMEOUT cannot happen with an infinite deadline
            }
        }
    }

    private func wakeHelperIfBusy() {
        // `busy` under the helper's lock: the helper's own check and park are one step, so a
        // wake is never lost between them (the order is always helper lock, then busy's).
        let wake = helper.withLock { state -> Bool in
            guard state.parked, !state.stopping, busy() else { return false }
            state.parked = false
            return true
        }
        if wake { helperWake.signal() }
    }

    /// The helper: polls while the server is busy (with a short deadline, so that it also
    /// parks when events stop), waits on the semaphore otherwise.
    private func help() {
        while true {
            helperWake.wait()
            if helper.withLock({ $0.stopping }) { return }
            while true {
                let deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(20, GPR_TIMESPAN))
                let event = grpc_completion_queue_next(raw, deadline, nil)
                if event.type == GRPC_QUEUE_SHUTDOWN { return }
                if event.type == GRPC_OP_COMPLETE { CompletionTag.complete(from: event.tag, success: event.success != 0) }
                let park = helper.withLock { state -> Bool in
                    // Stopping: poll on to GRPC_QUEUE_SHUTDOWN (no wake would come).
                    guard !state.stopping, !busy() else { return false }
                    state.parked = true
                    return true
                }
                if park { break }
            }
        }
    }

    /// Shuts the queue down and waits for the threads to drain it. Nothing may start an
    /// operation on this queue afterwards.
    func shutdownAndJoin() {
        guard !isShutDown else { return }
        isShutDown = true
        grpc_completion_queue_shutdown(raw)
        let parked = helper.withLock { state -> Bool in
            state.stopping = true
            defer { state.parked = false }
            return state.parked
        }
        if parked { helperWake.signal() }
        for thread in threads { pthread_join(thread, nil) }
        threads = []
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
