import PluginSupport
import Testing

/// The work a call leaves after its answer (a backup's index update and unlock): waited for
/// before the process exits, within a bound, and cancelled past it.
@Suite struct BackgroundTasksTests {
    @Test func drainWaitsForTheWorkUnderWay() async {
        let tasks = BackgroundTasks(), done = LockedState(0)
        for _ in 0..<3 {
            tasks.start {
                try? await Task.sleep(for: .milliseconds(30))
                done.withLock { $0 += 1 }
            }
        }
        #expect(tasks.count == 3)
        await tasks.drain(timeout: .seconds(10))
        #expect(done.withLock { $0 } == 3 && tasks.count == 0)
    }

    @Test func drainCancelsWhatOutlivesItsBound() async {
        let tasks = BackgroundTasks(), cancelled = LockedState(false)
        tasks.start {
            do { try await Task.sleep(for: .seconds(60)) } catch { cancelled.withLock { $0 = true } }
        }
        let clock = ContinuousClock(), start = clock.now
        await tasks.drain(timeout: .milliseconds(50))
        #expect(cancelled.withLock { $0 } && clock.now - start < .seconds(5))
    }
}
