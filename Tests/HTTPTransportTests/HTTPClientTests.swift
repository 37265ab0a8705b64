import HTTPTransport
import PluginSupport
import Testing

@Suite struct HTTPClientTests {
    @Test func resolveEntriesAreChecked() {
        #expect(HTTPConfiguration.invalidResolveEntries(["a.svc:8123:127.0.0.2", "b:1:::1"]).isEmpty)
        #expect(HTTPConfiguration.invalidResolveEntries(["a.svc:8123", "a:port:1.2.3.4", ":1:1.2.3.4", "a:1:"])
                == ["a.svc:8123", "a:port:1.2.3.4", ":1:1.2.3.4", "a:1:"])
    }

    @Test func aRefusedConnectionIsUnavailableAndNamesOnlyTheHost() async {
        let client = HTTPClient(configuration: HTTPConfiguration(connectTimeout: .seconds(2)))
        do {
            _ = try await client.send(HTTPRequest(url: "http://127.0.0.1:9/?password=never-shown"))
            Issue.record("expected a failure")
        } catch let error as HTTPTransportError {
            #expect(error.kind == .unavailable)
            #expect(error.description.hasPrefix("http://127.0.0.1:9: "))
            #expect(!error.description.contains("never-shown"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func resolveOverridesSendANameToAnAddress() async {
        // No server listens on 127.0.0.1:9, so reaching it proves the name was resolved there.
        let client = HTTPClient(configuration: HTTPConfiguration(resolve: ["chi-x-y-0-0.ns.svc.cluster.local:9:127.0.0.1"]))
        do {
            _ = try await client.send(HTTPRequest(url: "http://chi-x-y-0-0.ns.svc.cluster.local:9/"))
            Issue.record("expected a failure")
        } catch let error as HTTPTransportError {
            #expect(error.curlCode == 7)  // could not connect, not 6 (could not resolve)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func signingNeverShowsTheSecret() {
        let signing = AWSSigning(region: "us-east-1", accessKeyID: "AKIA123", secretAccessKey: "s3cr3t")
        #expect(!"\(signing)".contains("s3cr3t") && !"\(signing)".contains("AKIA123"))
    }
}

#if canImport(Glibc)
import Glibc

/// Transfers block their thread for as long as they run (an awaited BACKUP: seconds). On
/// Dispatch's global queue, which runs about one blocking job per core, the third of four
/// such statements on two cores started only when one of the first two ended.
@Suite struct HTTPClientConcurrencyTests {
    struct ListenFailed: Error {}

    /// A listener on 127.0.0.1 that accepts connections and never answers.
    final class SilentListener: @unchecked Sendable {
        let fd: Int32
        let port: UInt16

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard fd >= 0, bound == 0, listen(fd, 256) == 0 else {
                if fd >= 0 { close(fd) }
                throw ListenFailed()
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            (self.fd, port) = (fd, UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }

        /// Accepts for `duration`, then closes what it accepted; how many connections came with a request.
        func accepted(for duration: Duration) async throws -> Int {
            let clock = ContinuousClock(), deadline = clock.now + duration
            var connections: [Int32] = []
            while clock.now < deadline {
                let connection = accept(fd, nil, nil)
                if connection >= 0 { connections.append(connection) } else { try await Task.sleep(for: .milliseconds(2)) }
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let withRequest = connections.filter { recv($0, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 }.count
            connections.forEach { _ = close($0) }
            return withRequest
        }
    }

    @Test func everyTransferRunsAtOnceWhateverTheCores() async throws {
        let listener = try SilentListener()
        let client = HTTPClient(configuration: HTTPConfiguration(connectTimeout: .seconds(2)))
        let count = max(16, 2 * sysconf(Int32(_SC_NPROCESSORS_ONLN)) + 2)
        let requests = (0..<count).map { _ in
            Task { try? await client.send(HTTPRequest(url: "http://127.0.0.1:\(listener.port)/", timeout: .seconds(5))) }
        }
        // Every request reaches the server while none has had an answer.
        #expect(try await listener.accepted(for: .seconds(1)) == count)
        for request in requests { _ = await request.value }
    }
}
#endif
