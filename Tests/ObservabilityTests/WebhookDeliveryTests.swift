import BackupClients
import HTTPTransport
import Observability
import Testing

/// WebhookClient against real sockets: the metrics HTTP server answers POST with 405 (a final
/// refusal: no retry), and a closed port fails every try (retried, then reported by host only).
@Suite struct WebhookDeliveryTests {
    let client = WebhookClient(http: HTTPClient(), attempts: 3, timeout: .seconds(2), backoff: .milliseconds(10))

    @Test func aClientErrorIsFinalAndNamedByHostOnly() async throws {
        let server = try MetricsHTTPServer(address: "127.0.0.1:0") { _ in (200, "text/plain", []) }
        try server.start()
        defer { server.stop() }
        let delivery = await client.post("http://127.0.0.1:\(server.port)/hooks/s3cr3t", json: Array("{}".utf8))
        #expect(delivery.status == 405 && delivery.attempts == 1 && delivery.failure == "127.0.0.1:\(server.port) answered HTTP 405")
    }

    @Test func anUnreachableReceiverIsRetriedThenReported() async throws {
        let server = try MetricsHTTPServer(address: "127.0.0.1:0") { _ in (200, "text/plain", []) }
        let port = server.port
        server.stop()  // closed: connections are refused
        let delivery = await client.post("http://127.0.0.1:\(port)/hooks/s3cr3t", json: Array("{}".utf8))
        #expect(delivery.attempts == 3 && delivery.status == nil && !delivery.delivered)
        #expect(delivery.failure?.contains("127.0.0.1:\(port)") == true && delivery.failure?.contains("s3cr3t") == false)
    }

    @Test func theMetricsPortServesOnlyGETMetrics() async throws {
        let server = try MetricsHTTPServer(address: "127.0.0.1:0") { path in
            path == "/metrics" ? (200, "text/plain", Array("up 1\n".utf8)) : (404, "text/plain", [])
        }
        try server.start()
        defer { server.stop() }
        let http = HTTPClient()
        let metrics = try await http.send(HTTPRequest(url: "http://127.0.0.1:\(server.port)/metrics?x=1"))
        #expect(metrics.status == 200 && metrics.text == "up 1\n" && metrics.header("Content-Type") == "text/plain")
        #expect(try await http.send(HTTPRequest(url: "http://127.0.0.1:\(server.port)/other")).status == 404)
    }
}
