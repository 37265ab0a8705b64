// What Swift's Glibc module leaves out: glibc's allocator tunables (mallopt: the arena limit
// set in `main`) and thread names, a GNU extension the module is built without.
#include <malloc.h>
#include <pthread.h>

/// Names the calling thread (at most 15 bytes, as the kernel keeps): what `top -H` and
/// /proc/PID/task/TID/comm show. Declared here because pthread.h hides it without _GNU_SOURCE.
extern int pthread_setname_np(pthread_t thread, const char *name);

static inline int cglibc_name_this_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
