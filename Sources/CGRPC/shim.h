#ifndef CGRPC_SHIM_H
#define CGRPC_SHIM_H
/*
 * The gRPC C core, as Swift sees it. Swift cannot import function-like macros, so the few
 * the runtime needs are wrapped here as static inline functions, each prefixed cgrpc_.
 */
/* <stdlib.h> first, before any gRPC header: gRPC's port_platform.h defines _GNU_SOURCE, and a
 * glibc header first seen after that declares fd_set with other member names than Swift's Glibc
 * module does; a clean build then fails with "'__fds_bits' ... is not present in definition of
 * 'fd_set' in module 'CGRPC'" (log.h below brings <stdlib.h>). */
#include <stdlib.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <grpc/slice.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

/* GRPC_SLICE_START_PTR is a macro over the slice's inlined/refcounted union. A short slice
 * keeps its bytes inside the struct, so the slice is taken by pointer: a by-value parameter
 * would hand back the address of this function's own copy, dead once it returns (found by
 * AddressSanitizer). The pointer is valid as long as *slice is. */
static inline const unsigned char *cgrpc_slice_start(const grpc_slice *slice) {
  return GRPC_SLICE_START_PTR(*slice);
}

/* GRPC_SLICE_LENGTH, for the same reason. */
static inline size_t cgrpc_slice_length(const grpc_slice *slice) {
  return GRPC_SLICE_LENGTH(*slice);
}

/* A byte buffer holding a copy of `len` bytes. The buffer takes its own slice reference,
 * so the local one is released here; the caller owns the buffer (grpc_byte_buffer_destroy). */
static inline grpc_byte_buffer *cgrpc_byte_buffer_copy(const void *bytes, size_t len) {
  grpc_slice slice = grpc_slice_from_copied_buffer((const char *)bytes, len);
  grpc_byte_buffer *buffer = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return buffer;
}

/* Flattens a (possibly compressed) received buffer into one slice; the caller unrefs it.
 * Returns 0 when the buffer cannot be read (bad compression). */
static inline int cgrpc_byte_buffer_read_all(grpc_byte_buffer *buffer, grpc_slice *out) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer)) return 0;
  *out = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  return 1;
}

/* grpc_arg's value is an anonymous union: set it here rather than poke at it from Swift. */
static inline grpc_arg cgrpc_integer_arg(char *key, int value) {
  grpc_arg arg;
  memset(&arg, 0, sizeof arg);
  arg.type = GRPC_ARG_INTEGER;
  arg.key = key;
  arg.value.integer = value;
  return arg;
}

/* The same for a string argument (e.g. grpc.ssl_target_name_override in tests). */
static inline grpc_arg cgrpc_string_arg(char *key, char *value) {
  grpc_arg arg;
  memset(&arg, 0, sizeof arg);
  arg.type = GRPC_ARG_STRING;
  arg.key = key;
  arg.value.string = value;
  return arg;
}

/* sigset_t manipulation is macro-heavy on glibc; one call blocks the shutdown signals
 * in the calling thread (before any other thread exists, so every thread inherits it). */
static inline int cgrpc_block_signals(const int *signals, int count, sigset_t *set) {
  sigemptyset(set);
  for (int i = 0; i < count; i++) sigaddset(set, signals[i]);
  return pthread_sigmask(SIG_BLOCK, set, NULL);
}

static inline int cgrpc_wait_signal(const sigset_t *set) {
  int sig = 0;
  if (sigwait(set, &sig) != 0) return -1;
  return sig;
}
/* ThreadSanitizer cannot see how a tag travels through the core (uninstrumented code, futex
 * based locks), so it would report the tag's owner and the polling thread as racing. The
 * hand-off is annotated instead: release when the tag is given to the core, acquire when the
 * completion queue returns it. The weak symbols exist only in a -sanitize=thread build; in
 * every other build they are null and these are no-ops. */
void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));

static inline void cgrpc_tag_handoff_release(void *tag) {
  if (__tsan_release) __tsan_release(tag);
}

static inline void cgrpc_tag_handoff_acquire(void *tag) {
  if (__tsan_acquire) __tsan_acquire(tag);
}
#endif
