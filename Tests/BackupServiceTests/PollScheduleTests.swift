import Testing
@testable import BackupService

@Suite struct PollScheduleTests {
    let schedule = PollSchedule()

    @Test func smallOperationsArePolledAtTheInitialPace() {
        #expect(schedule.delay(elapsed: .zero) == .milliseconds(10))
        #expect(schedule.delay(elapsed: .milliseconds(200)) == .milliseconds(10))
    }

    @Test func theWaitIsAFractionOfTheTimeRunSoFar() {
        #expect(schedule.delay(elapsed: .seconds(4)) == .milliseconds(200))
        #expect(schedule.delay(elapsed: .seconds(30)) == .milliseconds(1500))
    }

    @Test func longOperationsAreCappedAtTheMaximum() {
        #expect(schedule.delay(elapsed: .seconds(40)) == .seconds(2))
        #expect(schedule.delay(elapsed: .seconds(3600)) == .seconds(2))
    }
}
