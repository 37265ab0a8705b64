import CCurl
import Glibc
import HTTPTransport
import Testing

/// libcurl is opened on first use; these check what the loader says when it cannot be.
@Suite struct CurlLibraryTests {
    private func open(_ library: String) -> (ok: Bool, error: String) {
        var api = ccurl_api()
        var error = [CChar](repeating: 0, count: 256)
        let rc = ccurl_open(library, &api, &error, error.count)
        return (rc == 0, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    @Test func theInstalledLibraryOpensAndLoads() {
        #expect(open(CCURL_LIBRARY).ok)
        #expect(ccurl_load() == nil)
    }

    @Test func aMissingLibraryIsNamedWithTheLoadersReason() {
        let result = open("libcurl-missing.so.4")
        #expect(!result.ok)
        #expect(result.error.hasPrefix("cannot load libcurl-missing.so.4: "))
        #expect(result.error.contains("No such file"))
    }

    @Test func aLibraryWithoutCurlsFunctionsNamesTheFirstMissingOne() {
        let result = open("libc.so.6")
        #expect(!result.ok)
        #expect(result.error == "libcurl has no curl_global_init")
    }

    /// GnuTLS, which only libcurl's dependencies bring, is not initialised by its constructor.
    @Test func gnuTLSIsToldNotToInitialiseItself() {
        CurlLibrary.skipUnusedGnuTLSInitialisation()  // as main does, first thing
        #expect(getenv("GNUTLS_NO_IMPLICIT_INIT").map { String(cString: $0) } == "1")
    }

    /// Transfers speak http and https only, whatever a URL in a definition says.
    @Test func otherProtocolsAreRefusedBeforeAnyConnection() async {
        for url in ["file:///etc/passwd", "ldap://127.0.0.1:9/", "ftp://127.0.0.1:9/"] {
            do {
                _ = try await HTTPClient().send(HTTPRequest(url: url))
                Issue.record("\(url) was fetched")
            } catch let error as HTTPTransportError {
                #expect(error.curlCode == Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue), "\(url): \(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
