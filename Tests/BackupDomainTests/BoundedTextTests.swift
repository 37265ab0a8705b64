import Testing
@testable import BackupDomain
import CryptoDigest

@Suite struct BoundedTextTests {
    @Test func shortValuesAreShownWholeAndLongOnesCutWithTheirLength() {
        #expect(BoundedText.bounded("abc") == "abc")
        let long = String(repeating: "é", count: 20_000)
        let cut = BoundedText.bounded(long)
        #expect(cut == String(repeating: "é", count: 200) + "… (20000 characters)")
        #expect(BoundedText.quoted(long).hasSuffix("… (20000 characters)\""))
    }

    /// Issue 10 item 7: a 20,000-character CHI name came back whole in the status message
    /// (a default client refuses it); a 5 MB one gave a 10 MB message.
    @Test func aHugeNameGivesABoundedMessage() throws {
        for size in [20_000, 5_000_000] {
            let name = String(repeating: "a", count: size)
            let chi = Array(#"{"metadata":{"name":"\#(name)","namespace":"ns"},"spec":{"configuration":{"clusters":[{"name":"c"}]}}}"#.utf8)
            let chb = Array(#"{"metadata":{"name":"b"},"spec":{"backup":{"s3":{"destinationPath":"s3://bkt/"}}}}"#.utf8)
            do {
                _ = try Planner.plan(.backup, Planner.Request(chiDefinition: chi, backupDefinition: chb, parameters: [:], digest: .openSSL), now: 0)
                Issue.record("expected INVALID_ARGUMENT")
            } catch {
                #expect(error.kind == .invalidArgument)
                #expect(error.message.utf8.count < 2_000, "\(error.message.utf8.count) bytes")
                #expect(error.message.contains("… (\(size) characters)"))
            }
        }
    }

    @Test func thousandsOfProblemsListTheFirstAndCountTheRest() {
        let issues = (0..<5_000).map { ValidationIssue(path: "p[\($0)]", problem: "is wrong") }
        let error = DomainError.invalid(issues)
        #expect(error.message.hasPrefix("invalid request, 5000 problems:\n- p[0]: is wrong"))
        #expect(error.message.hasSuffix("- … and 4980 more"))
        #expect(error.issues.count == 5_000)
    }
}
