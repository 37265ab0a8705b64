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

    /// A poll that takes long (a server with a long history in system.backups) spaces the
    /// next ones: polling never takes more than a fifth of the server's time.
    @Test func aDearPollSpacesTheNextOnes() {
        #expect(schedule.delay(elapsed: .milliseconds(200), lastPoll: .milliseconds(25)) == .milliseconds(100))
        #expect(schedule.delay(elapsed: .seconds(10), lastPoll: .milliseconds(25)) == .milliseconds(500))
        #expect(schedule.delay(elapsed: .seconds(1), lastPoll: .seconds(5)) == .seconds(2))
    }
}
