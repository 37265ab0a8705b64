@testable import BackupClients
import Testing

@Suite struct WebhookClientTests {
    @Test func receiversAreNamedWithoutTheirTokens() {
        #expect(WebhookClient.hostAndPort("https://hooks.slack.com/services/T0/B0/secret") == "hooks.slack.com")
        #expect(WebhookClient.hostAndPort("http://user:pass@10.0.0.1:8080/hook?token=x") == "10.0.0.1:8080")
        #expect(WebhookClient.hostAndPort("receiver:9000") == "receiver:9000")
    }
}
