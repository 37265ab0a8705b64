import Testing
@testable import BackupClients

@Suite struct S3ListingTests {
    let page = """
    <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>backups</Name><Prefix>ns/chi/</Prefix>\
    <IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>\
    <Contents><Key>ns/chi/a&amp;b.json</Key><Size>3</Size></Contents><Contents><Key>ns/chi/c</Key></Contents>\
    <CommonPrefixes><Prefix>ns/chi/full-1/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>ns/chi/inc-2/</Prefix></CommonPrefixes>\
    </ListBucketResult>
    """

    @Test func keysAndPrefixesComeOutUnescaped() throws {
        let root = try XMLElement.parse(Array(page.utf8))
        #expect(root.children("Contents").compactMap { $0.value("Key") } == ["ns/chi/a&b.json", "ns/chi/c"])
        #expect(root.children("CommonPrefixes").compactMap { $0.value("Prefix") } == ["ns/chi/full-1/", "ns/chi/inc-2/"])
        #expect(root.value("NextContinuationToken") == "tok&1")
    }

    /// Issue 10 item 6: seaweedfs writes `'` as `&#39;`; the hand-written decoding knew only
    /// named entities, so a backup under `o'brien x/` was invisible to the catalog.
    @Test func characterReferencesAndCDATAAreDecoded() throws {
        let xml = "<R><Contents><Key>o&#39;brien x/&#x1F600;/&lt;b&gt;</Key></Contents><Contents><Key><![CDATA[a&b]]></Key></Contents></R>"
        let root = try XMLElement.parse(Array(xml.utf8))
        #expect(root.children("Contents").compactMap { $0.value("Key") } == ["o'brien x/😀/<b>", "a&b"])
    }

    @Test func brokenDocumentsAndDTDsAreRefused() {
        #expect(throws: XMLParseError.self) { try XMLElement.parse(Array("<R><Key>x</R>".utf8)) }
        #expect(throws: XMLParseError.self) { try XMLElement.parse([]) }
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><r>&b;</r>"
        #expect(throws: XMLParseError.self) { try XMLElement.parse(Array(bomb.utf8)) }
    }
}
