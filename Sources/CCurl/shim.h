#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
/*
 * libcurl, as Swift sees it. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift
 * cannot call, so each argument type gets a typed wrapper here, prefixed ccurl_.
 */
#include <curl/curl.h>

static inline CURLcode ccurl_set_string(CURL *handle, CURLoption option, const char *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_long(CURL *handle, CURLoption option, long value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_pointer(CURL *handle, CURLoption option, void *value) {
  return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
  return curl_easy_setopt(handle, option, value);
}

/* Body and header sink: (data, size, count, userdata) -> bytes taken. */
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *userdata);
/* Progress: nonzero aborts the transfer (how cancellation reaches curl). */
typedef int (*ccurl_progress_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode ccurl_set_write(CURL *handle, ccurl_data_callback callback, void *userdata) {
  CURLcode rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
  return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEDATA, userdata);
}

static inline CURLcode ccurl_set_header(CURL *handle, ccurl_data_callback callback, void *userdata) {
  CURLcode rc = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
  return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HEADERDATA, userdata);
}

static inline CURLcode ccurl_set_progress(CURL *handle, ccurl_progress_callback callback, void *userdata) {
  CURLcode rc = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
  if (rc == CURLE_OK) rc = curl_easy_setopt(handle, CURLOPT_XFERINFODATA, userdata);
  return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

static inline long ccurl_response_code(CURL *handle) {
  long code = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
  return code;
}
#endif
