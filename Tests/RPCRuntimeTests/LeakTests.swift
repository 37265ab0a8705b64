import Foundation
import RPCRuntime
import Testing

/// Thousands of calls, a fifth of them cancelled: memory and threads must stay flat and every
/// call object must be freed (each tag released once, each call unreffed).
extension RuntimeSuites {
@Suite struct LeakTests {
    @Test func memoryAndThreadsStayFlatOverThousandsOfCalls() async throws {
        let observations = Observations()
        let server = Server(configuration: ServerConfiguration(address: "127.0.0.1:0"), services: [testService(observations)])
        let port = try server.start()
        let client = CoreTestClient(port: port)
        /// Runs `calls` calls and returns a description of each one that did not end as expected.
        @Sendable func round(_ client: CoreTestClient, _ calls: Int) -> [String] {
            var unexpected: [String] = []
            for index in 0..<calls {
                if index % 5 == 0 {
                    let reply = client.call("/test.Test/Forever", [], cancelAfterMessages: 1, maxMessages: 10)
                    if reply.code != StatusCode.cancelled.rawValue {
                        unexpected.append("Forever #\(index): \(reply.code) \(reply.message) after \(reply.messages.count) messages")
                    }
                } else if index % 5 == 1 {
                    let reply = client.call("/test.Test/EchoNow", [UInt8](repeating: 7, count: 2048))
                    if reply.code != 0 || reply.messages.first?.count != 2048 + "/test.Test/EchoNow ".utf8.count {
                        unexpected.append("EchoNow #\(index): \(reply.code) \(reply.message)")
                    }
                } else {
                    let reply = client.call("/test.Test/Echo", [UInt8](repeating: UInt8(index & 0xFF), count: 2048))
                    if reply.code != 0 || reply.messages.first?.count != 2048 {
                        unexpected.append("Echo #\(index): \(reply.code) \(reply.message)")
                    }
                }
            }
            return unexpected
        }
        let warmUp = await client.offPool { round($0, 1000) }  // connection, pools, allocator arenas
        #expect(warmUp.isEmpty, "\(warmUp.prefix(5))")
        let rssBefore = ProcessStats.residentKiB()
        let threadsBefore = ProcessStats.threads()
        let measured = await client.offPool { round($0, 4000) }
        #expect(measured.isEmpty, "\(measured.prefix(5))")
        let rssAfter = ProcessStats.residentKiB()
        let threadsAfter = ProcessStats.threads()
        print("leak check: RSS \(rssBefore) KiB -> \(rssAfter) KiB, threads \(threadsBefore) -> \(threadsAfter)")
        // Under AddressSanitizer freed memory sits in quarantine and RSS says nothing; there
        // LeakSanitizer's report at exit is the leak check (make sanitize sets the variable).
        if ProcessInfo.processInfo.environment["RUNTIME_TESTS_SANITIZER"] == nil {
            #expect(rssAfter - rssBefore < 4096, "RSS grew by \(rssAfter - rssBefore) KiB over 4000 calls")
        }
        #expect(threadsAfter <= threadsBefore + 2)
        await server.shutdown(grace: .seconds(1))
        #expect(server.liveCalls == 0)
        #expect(observations.count("forever-stopped") == 1000)
    }
}
}
