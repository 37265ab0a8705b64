import CCurl

/// Owner of one `CURL *` easy handle; `curl_easy_cleanup` in deinit. A handle keeps its
/// connections and DNS cache between transfers, so the client reuses handles from a pool.
final class CurlEasy {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard let handle = ccurl_easy_init() else { return nil }
        raw = handle
    }

    deinit { ccurl_easy_cleanup(raw) }

    /// Clears every option of the last transfer; live connections and caches stay.
    func reset() { ccurl_easy_reset(raw) }

    @discardableResult func set(_ option: CURLoption, _ value: String) -> CURLcode {
        ccurl_set_string(raw, option, value)  // curl copies strings it is given
    }

    @discardableResult func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        ccurl_set_long(raw, option, value)
    }

    @discardableResult func set(_ option: CURLoption, offset value: Int64) -> CURLcode {
        ccurl_set_off(raw, option, curl_off_t(value))
    }

    @discardableResult func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) -> CURLcode {
        ccurl_set_pointer(raw, option, value)
    }

    @discardableResult func set(_ option: CURLoption, list: CurlStringList) -> CURLcode {
        ccurl_set_slist(raw, option, list.raw)
    }

    var responseCode: Int { ccurl_response_code(raw) }

    func perform() -> CURLcode { ccurl_easy_perform(raw) }
}

/// Owner of a `curl_slist` (headers, resolve entries); freed in deinit, so it must outlive
/// the transfer that uses it.
final class CurlStringList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init(_ items: [String]) {
        for item in items { raw = ccurl_slist_append(raw, item) }
    }

    deinit { ccurl_slist_free_all(raw) }
}

/// libcurl, opened and initialised (`curl_global_init`) once, before the first handle: the
/// process does not link it, so nothing of it is mapped until a transfer needs it.
public enum CurlLibrary {
    /// Asks GnuTLS, which only libcurl's dependencies bring and nothing uses, not to initialise
    /// itself when libcurl is opened (`GNUTLS_NO_IMPLICIT_INIT`). It sets an environment
    /// variable: call it first thing in `main`, before any other thread exists.
    public static func skipUnusedGnuTLSInitialisation() { ccurl_skip_gnutls_initialisation() }


    /// Why libcurl cannot be used (it is not installed, or its initialisation failed), or nil.
    static let loadError: String? = ccurl_load().map { String(cString: $0) }
}
