/*
 * Load generator for the benchmark, on the gRPC C core: CONCURRENCY threads share one
 * channel, each with its own completion queue, and make unary calls back to back until
 * CALLS calls are done in all. Every call is one batch (send metadata, message, half-close;
 * receive metadata, message, status). Prints one JSON line: calls, errors, seconds and
 * latency percentiles in microseconds.
 *
 *   load ADDRESS METHOD CONCURRENCY CALLS [REQUEST_HEX]
 */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static grpc_channel *channel;
static const char *method;
static unsigned char request[256];
static size_t request_len;
static long total_calls;
static atomic_long next_call;
static atomic_long errors;
static double *latencies; /* microseconds, one per call */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int one_call(grpc_completion_queue *cq) {
  grpc_slice method_slice = grpc_slice_from_static_string(method);
  grpc_call *call = grpc_channel_create_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method_slice, NULL,
                                             gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_slice payload = grpc_slice_from_copied_buffer((const char *)request, request_len);
  grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&payload, 1);
  grpc_slice_unref(payload);
  grpc_byte_buffer *received = NULL;
  grpc_metadata_array initial, trailing;
  grpc_metadata_array_init(&initial);
  grpc_metadata_array_init(&trailing);
  grpc_status_code status = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &received;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
  ops[5].data.recv_status_on_client.status = &status;
  ops[5].data.recv_status_on_client.status_details = &details;
  int ok = grpc_call_start_batch(call, ops, 6, (void *)1, NULL) == GRPC_CALL_OK;
  if (ok) ok = grpc_completion_queue_pluck(cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).success;
  ok = ok && status == GRPC_STATUS_OK && received != NULL;
  if (received) grpc_byte_buffer_destroy(received);
  grpc_byte_buffer_destroy(send);
  grpc_slice_unref(details);
  grpc_metadata_array_destroy(&initial);
  grpc_metadata_array_destroy(&trailing);
  grpc_call_unref(call);
  return ok;
}

static void *worker(void *unused) {
  (void)unused;
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  for (;;) {
    long index = atomic_fetch_add(&next_call, 1);
    if (index >= total_calls) break;
    double started = now_us();
    if (!one_call(cq)) atomic_fetch_add(&errors, 1);
    latencies[index] = now_us() - started;
  }
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {}
  grpc_completion_queue_destroy(cq);
  return NULL;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The whole file, NUL-terminated, or NULL. */
static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  char *text = calloc(1, 1 << 20);
  size_t size = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
  fclose(file);
  if (text && size == 0) { free(text); return NULL; }
  return text;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: load ADDRESS METHOD CONCURRENCY CALLS [REQUEST_HEX]\n");
    return 2;
  }
  method = argv[2];
  int concurrency = atoi(argv[3]);
  total_calls = atol(argv[4]);
  if (argc > 5) {
    for (const char *hex = argv[5]; hex[0] && hex[1] && request_len < sizeof request; hex += 2) {
      unsigned int byte;
      sscanf(hex, "%2x", &byte);
      request[request_len++] = (unsigned char)byte;
    }
  }
  latencies = calloc((size_t)total_calls, sizeof *latencies);
  grpc_init();
  /* LOAD_CA_FILE: speak TLS, trusting that CA (the server's certificate names 127.0.0.1). */
  const char *ca_file = getenv("LOAD_CA_FILE");
  char *ca = ca_file ? read_file(ca_file) : NULL;
  if (ca_file && !ca) {
    fprintf(stderr, "load: cannot read %s\n", ca_file);
    return 2;
  }
  grpc_channel_credentials *credentials = ca ? grpc_ssl_credentials_create(ca, NULL, NULL, NULL) : grpc_insecure_credentials_create();
  channel = grpc_channel_create(argv[1], credentials, NULL);
  grpc_channel_credentials_release(credentials);
  pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
  double started = now_us();
  for (int i = 0; i < concurrency; i++) pthread_create(&threads[i], NULL, worker, NULL);
  for (int i = 0; i < concurrency; i++) pthread_join(threads[i], NULL);
  double seconds = (now_us() - started) / 1e6;
  qsort(latencies, (size_t)total_calls, sizeof *latencies, compare);
  printf("{\"calls\": %ld, \"errors\": %ld, \"seconds\": %.4f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n", total_calls,
         atomic_load(&errors), seconds, latencies[total_calls / 2], latencies[(total_calls * 99) / 100]);
  grpc_channel_destroy(channel);
  grpc_shutdown();
  free(threads);
  free(latencies);
  free(ca);
  return atomic_load(&errors) ? 1 : 0;
}
