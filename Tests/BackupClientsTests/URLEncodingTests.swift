import Testing
@testable import BackupClients

@Suite struct URLEncodingTests {
    @Test func unreservedCharactersPassThrough() {
        #expect(ClickHouseClient.encode("chb-a1_b2.c3~") == "chb-a1_b2.c3~")
    }

    @Test func everythingElseIsPercentEncodedAsUTF8() {
        #expect(ClickHouseClient.encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
        #expect(ClickHouseClient.encode("") == "")
    }
}
