import Foundation
import RPCRuntime
import Synchronization

/// Records what handlers saw, across threads.
final class Observations: Sendable {
    private let state = Mutex<[String]>([])
    func record(_ event: String) { state.withLock { $0.append(event) } }
    var events: [String] { state.withLock { $0 } }
    func count(_ event: String) -> Int { events.filter { $0 == event }.count }
}

struct Boom: Error { let secret = "do-not-leak" }

/// Raw-bytes services exercising every handler shape.
func testService(_ observations: Observations) -> ServiceDefinition {
    ServiceDefinition(name: "test.Test", methods: [
        "Echo": .unary { request, _ in request },
        "EchoNow": .immediate { request, context in
            Array("\(context.method) ".utf8) + request
        },
        "ThreadNow": .immediate { request, _ in  // holds its polling thread for `request` ms
            usleep(useconds_t(1000 * (Int(String(decoding: request, as: UTF8.self)) ?? 0)))
            return Array(currentThreadName().utf8)
        },
        "FailNow": .immediate { request, _ in
            if request.isEmpty { throw Boom() }
            throw RPCError(.notFound, "unknown service \(String(decoding: request, as: UTF8.self))")
        },
        "Metadata": .unary { request, context in
            Array((context.metadata[String(decoding: request, as: UTF8.self)] ?? "<none>").utf8)
        },
        "Deadline": .unary { _, context in
            guard let left = context.timeRemaining else { return Array("none".utf8) }
            return Array((left > .zero && left < .seconds(10) ? "set" : "wrong").utf8)
        },
        "Fail": .unary { _, _ in throw RPCError(.failedPrecondition, "cluster not ready") },
        "Crash": .unary { _, _ in throw Boom() },
        "Slow": .unary { request, _ in
            do {
                try await Task.sleep(for: .seconds(Int(String(decoding: request, as: UTF8.self)) ?? 60))
                observations.record("slow-finished")
                return Array("done".utf8)
            } catch {
                observations.record("slow-cancelled")
                throw error
            }
        },
        "Count": .serverStreaming { request, _, writer in
            let count = Int(String(decoding: request, as: UTF8.self)) ?? 0
            for index in 0..<count { try await writer.send(Array("\(index)".utf8)) }
        },
        "Forever": .serverStreaming { _, _, writer in
            do {
                var index = 0
                while true {
                    try await writer.send(Array("\(index)".utf8))
                    index += 1
                    try await Task.sleep(for: .milliseconds(5))
                }
            } catch {
                observations.record("forever-stopped")
                throw error
            }
        },
    ])
}

/// The running thread's name, as /proc shows it.
func currentThreadName() -> String {
    let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    return comm.trimmingCharacters(in: .newlines)
}
