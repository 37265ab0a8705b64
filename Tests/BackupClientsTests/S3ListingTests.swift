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

    @Test func keysAndPrefixesComeOutUnescaped() {
        #expect(S3Client.xmlValues("Key", in: S3Client.xmlBlocks("Contents", in: page)) == ["ns/chi/a&b.json", "ns/chi/c"])
        #expect(S3Client.xmlValues("Prefix", in: S3Client.xmlBlocks("CommonPrefixes", in: page)) == ["ns/chi/full-1/", "ns/chi/inc-2/"])
        #expect(S3Client.xmlValue("NextContinuationToken", in: page).map(S3Client.xmlUnescape) == "tok&1")
    }
}
