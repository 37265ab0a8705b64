import Testing
@testable import RPCRuntime

@Suite struct RPCErrorTests {
    /// Status details travel in the trailers: a message over a client's 16 KiB metadata limit
    /// would reach it as RESOURCE_EXHAUSTED instead of the real status.
    @Test func statusMessagesAreBoundedOnACharacterBoundary() {
        #expect(RPCError(.notFound, "short").message == "short")
        let long = String(repeating: "ü", count: 10_000)  // 20,000 bytes
        let error = RPCError(.invalidArgument, long)
        #expect(error.message.utf8.count <= RPCError.maxMessageBytes)
        #expect(error.message.hasSuffix("… (cut from 20000 bytes)"))
        #expect(!error.message.contains("\u{FFFD}"))
        #expect(error.code == .invalidArgument)
    }
}
