import Testing
@testable import BackupClients

@Suite struct URLEncodingTests {
    @Test func unreservedCharactersPassThrough() {
        #expect(URLQuery.encode("chb-a1_b2.c3~") == "chb-a1_b2.c3~")
    }

    @Test func everythingElseIsPercentEncodedAsUTF8() {
        #expect(URLQuery.encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
        #expect(URLQuery.encode("") == "")
    }

    @Test func queriesAreSortedByKeyForSigV4() {
        #expect(URLQuery.sorted([("prefix", "ns/chi/"), ("list-type", "2"), ("delimiter", "/")])
                == "delimiter=%2F&list-type=2&prefix=ns%2Fchi%2F")
    }
}
