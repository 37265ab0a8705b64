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
