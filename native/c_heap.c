/*
 * trimCHeap(): gives the C heap's free pages back to the kernel with glibc's malloc_trim(0), and
 * resolves whether any were. When memory is freed glibc returns only the top of each arena; pages
 * freed in the middle (TLS and HTTP buffers, V8's compiler zones, a list body's parse) stay resident
 * for the life of the process. malloc_trim(0) walks every arena's free chunks and releases their whole
 * pages (madvise MADV_DONTNEED), https://man7.org/linux/man-pages/man3/malloc_trim.3.html.
 *
 * It runs on libuv's thread pool, not the calling thread: the first trim after a burst took 39 ms on
 * a 60 MB fragmented heap, time in which the speaker's main thread would answer no ARP request. The
 * speaker calls it when its state has been quiet for a while (speaker/c-heap-trim.ts).
 */
#include <malloc.h>
#include "lodestone_native.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int released;
} trim_job;

static void trim_execute(napi_env env, void *data) {
  ((trim_job *)data)->released = malloc_trim(0);
}

static void trim_complete(napi_env env, napi_status status, void *data) {
  trim_job *job = data;
  napi_value result;
  if (status == napi_ok && napi_get_boolean(env, job->released != 0, &result) == napi_ok) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message;
    napi_create_string_utf8(env, "malloc_trim did not run", NAPI_AUTO_LENGTH, &message);
    napi_value error;
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

napi_value trim_c_heap(napi_env env, napi_callback_info info) {
  trim_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    throw_errno(env, ENOMEM, "calloc", "trimCHeap");
    return NULL;
  }
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "lodestone:trimCHeap", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, trim_execute, trim_complete, job, &job->work) != napi_ok) {
    free(job);
    CHECK_NAPI(env, napi_generic_failure);
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free(job);
    CHECK_NAPI(env, napi_generic_failure);
  }
  return promise;
}
