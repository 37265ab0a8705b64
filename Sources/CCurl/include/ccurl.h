#ifndef CCURL_H
#define CCURL_H
/*
 * libcurl, as Swift sees it, loaded on first use. The process does not link libcurl: it is
 * opened with dlopen the first time an HTTP transfer needs it, so a `serve` that only answers
 * probes never maps libcurl and the ~25 libraries it pulls in (GnuTLS, Kerberos, LDAP, SSH,
 * RTMP...: ~4 MiB of resident pages and their constructors). <curl/curl.h> gives the types and
 * constants only; every call goes through the table ccurl_load fills.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call, so each
 * argument type gets a typed wrapper here.
 */
#include <curl/curl.h>
#include <stddef.h>

/* The libcurl functions the plugin calls, resolved from one dlopen'ed library. */
typedef struct ccurl_api {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *handle);
  void (*easy_reset)(CURL *handle);
  CURLcode (*easy_perform)(CURL *handle);
  const char *(*easy_strerror)(CURLcode code);
  CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
  CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
  struct curl_slist *(*slist_append)(struct curl_slist *list, const char *item);
  void (*slist_free_all)(struct curl_slist *list);
} ccurl_api;

/* The library's name as the dynamic loader knows it (its SONAME). */
#define CCURL_LIBRARY "libcurl.so.4"

/*
 * Opens `library` and resolves every function of `api`; no global state. Returns 0, or -1
 * with a reason (the loader's message, or the first missing symbol) in `error`.
 */
int ccurl_open(const char *library, ccurl_api *api, char *error, size_t error_size);

/*
 * Loads CCURL_LIBRARY and runs curl_global_init, once per process (thread-safe). Returns NULL
 * when libcurl is ready, or why it is not (the same text on every later call).
 */
const char *ccurl_load(void);

/*
 * GnuTLS comes into the process only as a dependency of libcurl's dependencies (librtmp,
 * libldap), and transfers allow http and https alone, which this libcurl serves with OpenSSL:
 * nothing calls GnuTLS, yet its library constructor initialises it when libcurl is opened
 * (~0.6 MiB of pages, its PKCS#11 set-up). This sets GNUTLS_NO_IMPLICIT_INIT=1 (unless the
 * environment has it) so that it does not. It changes the environment: call it while the
 * process has one thread.
 */
void ccurl_skip_gnutls_initialisation(void);

/* The loaded table; only valid after ccurl_load returned NULL. */
extern ccurl_api ccurl;

static inline CURL *ccurl_easy_init(void) { return ccurl.easy_init(); }
static inline void ccurl_easy_cleanup(CURL *handle) { ccurl.easy_cleanup(handle); }
static inline void ccurl_easy_reset(CURL *handle) { ccurl.easy_reset(handle); }
static inline CURLcode ccurl_easy_perform(CURL *handle) { return ccurl.easy_perform(handle); }
static inline const char *ccurl_easy_strerror(CURLcode code) { return ccurl.easy_strerror(code); }
static inline struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *item) {
  return ccurl.slist_append(list, item);
}
static inline void ccurl_slist_free_all(struct curl_slist *list) { ccurl.slist_free_all(list); }

static inline CURLcode ccurl_set_string(CURL *handle, CURLoption option, const char *value) {
  return ccurl.easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_long(CURL *handle, CURLoption option, long value) {
  return ccurl.easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
  return ccurl.easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_pointer(CURL *handle, CURLoption option, void *value) {
  return ccurl.easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
  return ccurl.easy_setopt(handle, option, value);
}

/* Body and header sink: (data, size, count, userdata) -> bytes taken. */
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *userdata);
/* Progress: nonzero aborts the transfer (how cancellation reaches curl). */
typedef int (*ccurl_progress_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode ccurl_set_write(CURL *handle, ccurl_data_callback callback, void *userdata) {
  CURLcode rc = ccurl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
  return rc != CURLE_OK ? rc : ccurl.easy_setopt(handle, CURLOPT_WRITEDATA, userdata);
}

static inline CURLcode ccurl_set_header(CURL *handle, ccurl_data_callback callback, void *userdata) {
  CURLcode rc = ccurl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
  return rc != CURLE_OK ? rc : ccurl.easy_setopt(handle, CURLOPT_HEADERDATA, userdata);
}

static inline CURLcode ccurl_set_progress(CURL *handle, ccurl_progress_callback callback, void *userdata) {
  CURLcode rc = ccurl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
  if (rc == CURLE_OK) rc = ccurl.easy_setopt(handle, CURLOPT_XFERINFODATA, userdata);
  return rc != CURLE_OK ? rc : ccurl.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

static inline long ccurl_response_code(CURL *handle) {
  long code = 0;
  ccurl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
  return code;
}
#endif
