import CCurl

/// Owner of one `CURL *` easy handle; `curl_easy_cleanup` in deinit. A handle keeps its
/// connections and DNS cache between transfers, so the client reuses handles from a pool.
final class CurlEasy {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        raw = handle
    }

    deinit { curl_easy_cleanup(raw) }

    /// Clears every option of the last transfer; live connections and caches stay.
    func reset() { curl_easy_reset(raw) }

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

    func perform() -> CURLcode { curl_easy_perform(raw) }
}

/// Owner of a `curl_slist` (headers, resolve entries); freed in deinit, so it must outlive
/// the transfer that uses it.
final class CurlStringList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init(_ items: [String]) {
        for item in items { raw = curl_slist_append(raw, item) }
    }

    deinit { curl_slist_free_all(raw) }
}

/// The process-wide `curl_global_init`, done once before the first handle.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}
