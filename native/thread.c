/*
 * Scheduling of the calling thread: setThreadRealtime(priority) puts it in SCHED_RR at that real-time
 * priority (1..99), with SCHED_RESET_ON_FORK so that nothing it starts inherits it. On Linux,
 * sched_setscheduler(0, ...) applies to the calling thread only (sched(7)), so a worker thread can
 * raise itself while the rest of the process stays as it is. Needs CAP_SYS_NICE (or RLIMIT_RTPRIO).
 */
#define _GNU_SOURCE
#include <sched.h>
#include "lodestone_native.h"

napi_value set_thread_realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t priority;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &priority) || priority < 1 || priority > 99) THROW_TYPE(env, "priority must be 1..99");
  struct sched_param param = {.sched_priority = (int)priority};
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) < 0) throw_errno(env, errno, "sched_setscheduler(SCHED_RR)", "");
  return NULL;
}
