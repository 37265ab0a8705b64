import CCurl
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
}
