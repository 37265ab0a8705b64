import CGRPC
#if canImport(Glibc)
import Glibc
import PluginSupport
#endif

/// Turns SIGTERM/SIGINT into an awaitable event.
///
/// ``block()`` must run first thing in `main`, before `grpc_init` or any task starts a
/// thread: threads inherit the mask, so the signals are only ever delivered to ``wait()``'s
/// `sigwait`, never to a random core thread (which would kill the process).
public enum ProcessSignals {
    private nonisolated(unsafe) static var blocked = sigset_t()

    /// Blocks SIGTERM and SIGINT in the calling thread (and every thread started later).
    public static func block() {
        let signals: [Int32] = [SIGTERM, SIGINT]
        _ = signals.withUnsafeBufferPointer { cgrpc_block_signals($0.baseAddress, Int32($0.count), &blocked) }
    }

    /// Waits for SIGTERM or SIGINT on a dedicated thread.
    /// - Returns: the signal number received.
    public static func wait() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            do {
                let thread = try PosixThread.spawn("signal") {
                    continuation.resume(returning: withUnsafePointer(to: &ProcessSignals.blocked) { cgrpc_wait_signal($0) })
                }
                pthread_detach(thread)
            } catch {
                continuation.resume(returning: -1)
            }
        }
    }
}
