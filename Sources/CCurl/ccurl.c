#include "ccurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ccurl_api ccurl;

void ccurl_skip_gnutls_initialisation(void) {
  setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
}

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int load_failed;

/* Resolves one symbol into *slot; on failure names it in `error`. */
static int resolve(void *library, const char *name, void **slot, char *error, size_t error_size) {
  *slot = dlsym(library, name);
  if (*slot != NULL) return 0;
  snprintf(error, error_size, "libcurl has no %s", name);
  return -1;
}

int ccurl_open(const char *library, ccurl_api *api, char *error, size_t error_size) {
  /* RTLD_LOCAL: curl's dependencies stay out of the global namespace the gRPC core and
   * libcrypto were bound in; the handle is never closed (libcurl keeps global state). */
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *reason = dlerror();
    snprintf(error, error_size, "cannot load %s: %s", library, reason ? reason : "unknown error");
    return -1;
  }
  struct { const char *name; void **slot; } symbols[] = {
    {"curl_global_init", (void **)&api->global_init},
    {"curl_easy_init", (void **)&api->easy_init},
    {"curl_easy_cleanup", (void **)&api->easy_cleanup},
    {"curl_easy_reset", (void **)&api->easy_reset},
    {"curl_easy_perform", (void **)&api->easy_perform},
    {"curl_easy_strerror", (void **)&api->easy_strerror},
    {"curl_easy_setopt", (void **)&api->easy_setopt},
    {"curl_easy_getinfo", (void **)&api->easy_getinfo},
    {"curl_slist_append", (void **)&api->slist_append},
    {"curl_slist_free_all", (void **)&api->slist_free_all},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
    if (resolve(handle, symbols[i].name, symbols[i].slot, error, error_size) != 0) {
      dlclose(handle);
      return -1;
    }
  }
  return 0;
}

static void load(void) {
  ccurl_api api;
  if (ccurl_open(CCURL_LIBRARY, &api, load_error, sizeof load_error) != 0) {
    load_failed = 1;
    return;
  }
  CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    snprintf(load_error, sizeof load_error, "curl_global_init failed: %s", api.easy_strerror(rc));
    load_failed = 1;
    return;
  }
  ccurl = api;  /* published by pthread_once to every caller that returns from it */
}

const char *ccurl_load(void) {
  pthread_once(&load_once, load);
  return load_failed ? load_error : NULL;
}
