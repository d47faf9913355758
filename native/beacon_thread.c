/*
 * The layer 2 heartbeat's sender as a thread of the speaker's own process (docs/adr/0013).
 *
 * The speaker keeps the heartbeat's logic (what it says, who the peers are, the keys, everything it
 * receives) in JavaScript; this thread only sends, every interval, on the UDP socket the speaker
 * receives on. JavaScript hands it a template: the heartbeat's body as protocols/l2/heartbeat.ts
 * encodes it, with the sequence (offset 14, u32) and the send time (offset 18, u64 ms since the epoch,
 * both big-endian) left for this thread to fill in; the signing key; the peers. Each send patches both,
 * appends HMAC-SHA256 over the body and hands the datagram to the kernel once per peer.
 *
 * Why a thread and not JavaScript: a speaker whose main thread is held (a relist, JSON, a GC) longer
 * than the peers' 250 ms timeout would go silent and lose its IPs. This thread runs no JavaScript and
 * shares nothing with V8: after start it allocates nothing (the template, key, peers and datagram live
 * in its struct; the MAC is hmac.c's, on its stack), so neither a collection nor malloc's locks nor
 * the memory map's can hold it; it sleeps on a monotonic deadline and can raise itself to SCHED_RR. The process it replaces cost 11 to 12 MiB and
 * about half a percent of a core per node.
 *
 *   beaconStart(fd, intervalMs, realtimePriority): handle   (the first beaconSet sends, then every interval)
 *   beaconSet(handle, body, key, peers: [{address, port}])    (a new template; peers of the fd's family)
 *   beaconSendNow(handle)                                    (an extra send now, from the caller's thread)
 *   beaconStats(handle): {sent, failed, sequence, maxLateMs, scheduling}   (maxLateMs is reset by reading)
 *   beaconStop(handle)                                       (joins the thread; the fd stays open)
 */
#include "lodestone_native.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#define BEACON_MAX_BODY 1024
#define BEACON_MAX_KEY 64
#define BEACON_MAX_PEERS 64
#define BEACON_MAC HMAC_SHA256_LENGTH
#define SEQUENCE_AT 14
#define SENT_AT 18

typedef struct {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int fd;
  int64_t interval_ns;
  int priority;
  bool started;
  bool stopping;
  bool armed; /* a template has been set */
  /* Under lock: the template, the key and the peers. */
  uint8_t body[BEACON_MAX_BODY];
  size_t body_len;
  uint8_t key[BEACON_MAX_KEY];
  size_t key_len;
  struct sockaddr_storage peers[BEACON_MAX_PEERS];
  socklen_t peer_lens[BEACON_MAX_PEERS];
  int npeers;
  uint32_t sequence;
  uint8_t packet[BEACON_MAX_BODY + BEACON_MAC];
  /* Read by JS without the lock. */
  atomic_uint_fast64_t sent;
  atomic_uint_fast64_t failed;
  atomic_int_fast64_t max_late_ns;
  /* How the thread is scheduled: 0 not yet, 1 SCHED_RR, 2 nice -10, 3 as the process (no CAP_SYS_NICE). */
  atomic_int scheduling;
} beacon_t;

static int64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  return ts;
}

/* One heartbeat to every peer. Called with the lock held. */
static void send_locked(beacon_t *b) {
  if (!b->armed) return;
  b->sequence++;
  uint8_t *p = b->packet;
  memcpy(p, b->body, b->body_len);
  uint32_t seq = b->sequence;
  for (int i = 0; i < 4; i++) p[SEQUENCE_AT + i] = (uint8_t)(seq >> (24 - 8 * i));
  uint64_t sent_at = (uint64_t)(now_ns(CLOCK_REALTIME) / 1000000);
  for (int i = 0; i < 8; i++) p[SENT_AT + i] = (uint8_t)(sent_at >> (56 - 8 * i));
  hmac_sha256(b->key, b->key_len, p, b->body_len, p + b->body_len);
  size_t len = b->body_len + BEACON_MAC;
  for (int i = 0; i < b->npeers; i++) {
    /* Non-blocking (libuv's socket): a full send buffer is a failed send, as a lost datagram is. */
    ssize_t n = sendto(b->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&b->peers[i], b->peer_lens[i]);
    if (n == (ssize_t)len) atomic_fetch_add(&b->sent, 1);
    else atomic_fetch_add(&b->failed, 1);
  }
}

static void raise_priority(beacon_t *b) {
  if (b->priority <= 0) {
    atomic_store(&b->scheduling, 3);
    return;
  }
  struct sched_param param = {.sched_priority = b->priority};
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0) {
    atomic_store(&b->scheduling, 1);
  } else if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10) == 0) {
    /* nice is per thread on Linux (setpriority(2) on a thread id). */
    atomic_store(&b->scheduling, 2);
  } else {
    atomic_store(&b->scheduling, 3);
  }
}

static void *beacon_main(void *arg) {
  beacon_t *b = arg;
  raise_priority(b);
  pthread_mutex_lock(&b->lock);
  /* The first heartbeat goes when the first template arrives; the rhythm counts from it. */
  while (!b->armed && !b->stopping) pthread_cond_wait(&b->wake, &b->lock);
  int64_t due = now_ns(CLOCK_MONOTONIC);
  while (!b->stopping) {
    struct timespec until = to_timespec(due);
    int rc = pthread_cond_timedwait(&b->wake, &b->lock, &until);
    if (b->stopping) break;
    if (rc != ETIMEDOUT) continue; /* woken early (a new template, or spuriously): the deadline stands */
    int64_t now = now_ns(CLOCK_MONOTONIC);
    int64_t late = now - due;
    if (late > atomic_load(&b->max_late_ns)) atomic_store(&b->max_late_ns, late);
    send_locked(b);
    due += b->interval_ns;
    /* Held past whole intervals (a suspended VM): send once and keep the rhythm from now. */
    if (due <= now) due = now + b->interval_ns;
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

static void beacon_stop(beacon_t *b) {
  if (!b->started) return;
  pthread_mutex_lock(&b->lock);
  b->stopping = true;
  pthread_cond_signal(&b->wake);
  pthread_mutex_unlock(&b->lock);
  pthread_join(b->thread, NULL);
  b->started = false;
}

static void beacon_finalize(napi_env env, void *data, void *hint) {
  beacon_t *b = data;
  beacon_stop(b);
  pthread_cond_destroy(&b->wake);
  pthread_mutex_destroy(&b->lock);
  free(b);
}

static beacon_t *get_beacon(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVALIDARG", "not a beacon handle");
    return NULL;
  }
  return data;
}

/* The beacon handle that is the call's one argument (NULL, with a TypeError thrown, when it is not). */
static beacon_t *beacon_argument(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return get_beacon(env, argv[0]);
}

napi_value beacon_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t fd, interval_ms, priority;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a file descriptor");
  if (!get_int(env, argv[1], &interval_ms) || interval_ms < 1 || interval_ms > 60000) THROW_TYPE(env, "intervalMs must be 1..60000");
  if (!get_int(env, argv[2], &priority) || priority < 0 || priority > 99) THROW_TYPE(env, "priority must be 0..99 (0: leave it)");
  beacon_t *b = calloc(1, sizeof *b);
  if (b == NULL) {
    throw_errno(env, ENOMEM, "beaconStart", "");
    return NULL;
  }
  b->fd = (int)fd;
  b->interval_ns = interval_ms * 1000000;
  b->priority = (int)priority;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&b->wake, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&b->lock, NULL);
  pthread_attr_t tattr;
  pthread_attr_init(&tattr);
  pthread_attr_setstacksize(&tattr, 64 * 1024);
  int err = pthread_create(&b->thread, &tattr, beacon_main, b);
  pthread_attr_destroy(&tattr);
  if (err != 0) {
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
    throw_errno(env, err, "pthread_create", "heartbeat beacon");
    return NULL;
  }
  b->started = true;
  napi_value handle;
  if (napi_create_external(env, b, beacon_finalize, NULL, &handle) != napi_ok) {
    beacon_finalize(env, b, NULL);
    napi_throw_error(env, "ELODESTONE", "napi_create_external failed");
    return NULL;
  }
  return handle;
}

/* Reads {address, port} into a sockaddr of `family`; false (with a TypeError thrown) when it is not one. */
static bool read_peer(napi_env env, napi_value obj, int family, struct sockaddr_storage *out, socklen_t *len) {
  napi_value v;
  char address[INET6_ADDRSTRLEN];
  int64_t port;
  if (napi_get_named_property(env, obj, "address", &v) != napi_ok || !get_string(env, v, address, sizeof address) ||
      napi_get_named_property(env, obj, "port", &v) != napi_ok || !get_int(env, v, &port) || port < 1 || port > 65535) {
    napi_throw_type_error(env, "EINVALIDARG", "a peer is {address, port} with port 1..65535");
    return false;
  }
  memset(out, 0, sizeof *out);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &a->sin6_addr) == 1) {
      *len = sizeof *a;
      return true;
    }
    /* An IPv4 peer on an IPv6 socket: as a mapped address. */
    struct in_addr v4;
    if (inet_pton(AF_INET, address, &v4) == 1) {
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
      *len = sizeof *a;
      return true;
    }
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &a->sin_addr) == 1) {
      *len = sizeof *a;
      return true;
    }
  }
  char msg[128];
  snprintf(msg, sizeof msg, "peer address %s is not an %s address", address, family == AF_INET6 ? "IPv6" : "IPv4");
  napi_throw_type_error(env, "EINVALIDARG", msg);
  return false;
}

napi_value beacon_set(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void *body, *key;
  size_t body_len, key_len;
  bool is_array = false;
  uint32_t npeers = 0;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) THROW_TYPE(env, "beaconSet(handle, body, key, peers)");
  beacon_t *b = get_beacon(env, argv[0]);
  if (b == NULL) return NULL;
  if (!get_buffer(env, argv[1], &body, &body_len) || body_len < SENT_AT + 8 || body_len > BEACON_MAX_BODY) THROW_TYPE(env, "body must be a Buffer of 26..1024 bytes");
  if (!get_buffer(env, argv[2], &key, &key_len) || key_len < 1 || key_len > BEACON_MAX_KEY) THROW_TYPE(env, "key must be a Buffer of 1..64 bytes");
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array) THROW_TYPE(env, "peers must be an array");
  CHECK_NAPI(env, napi_get_array_length(env, argv[3], &npeers));
  if (npeers > BEACON_MAX_PEERS) THROW_TYPE(env, "at most 64 peers");
  struct sockaddr_storage domain;
  socklen_t domain_len = sizeof domain;
  if (getsockname(b->fd, (struct sockaddr *)&domain, &domain_len) < 0) {
    throw_errno(env, errno, "getsockname", "heartbeat socket");
    return NULL;
  }
  struct sockaddr_storage peers[BEACON_MAX_PEERS];
  socklen_t lens[BEACON_MAX_PEERS];
  for (uint32_t i = 0; i < npeers; i++) {
    napi_value peer;
    CHECK_NAPI(env, napi_get_element(env, argv[3], i, &peer));
    if (!read_peer(env, peer, domain.ss_family, &peers[i], &lens[i])) return NULL;
  }
  pthread_mutex_lock(&b->lock);
  memcpy(b->body, body, body_len);
  b->body_len = body_len;
  memcpy(b->key, key, key_len);
  b->key_len = key_len;
  memcpy(b->peers, peers, sizeof peers[0] * npeers);
  memcpy(b->peer_lens, lens, sizeof lens[0] * npeers);
  b->npeers = (int)npeers;
  if (!b->armed) pthread_cond_signal(&b->wake);
  b->armed = true;
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

napi_value beacon_send_now(napi_env env, napi_callback_info info) {
  beacon_t *b = beacon_argument(env, info);
  if (b == NULL) return NULL;
  pthread_mutex_lock(&b->lock);
  send_locked(b);
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

static bool set_number(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  return napi_create_double(env, value, &v) == napi_ok && napi_set_named_property(env, obj, name, v) == napi_ok;
}

napi_value beacon_stats(napi_env env, napi_callback_info info) {
  beacon_t *b = beacon_argument(env, info);
  if (b == NULL) return NULL;
  napi_value out;
  CHECK_NAPI(env, napi_create_object(env, &out));
  pthread_mutex_lock(&b->lock);
  uint32_t sequence = b->sequence;
  pthread_mutex_unlock(&b->lock);
  static const char *const how[] = {"starting", "SCHED_RR", "nice", "default"};
  int scheduling = atomic_load(&b->scheduling);
  napi_value s;
  if (!set_number(env, out, "sent", (double)atomic_load(&b->sent)) || !set_number(env, out, "failed", (double)atomic_load(&b->failed)) ||
      !set_number(env, out, "sequence", sequence) || !set_number(env, out, "maxLateMs", (double)atomic_exchange(&b->max_late_ns, 0) / 1e6) ||
      napi_create_string_utf8(env, how[scheduling & 3], NAPI_AUTO_LENGTH, &s) != napi_ok || napi_set_named_property(env, out, "scheduling", s) != napi_ok) {
    napi_throw_error(env, "ELODESTONE", "beaconStats: N-API call failed");
    return NULL;
  }
  return out;
}

napi_value beacon_stop_js(napi_env env, napi_callback_info info) {
  beacon_t *b = beacon_argument(env, info);
  if (b == NULL) return NULL;
  beacon_stop(b);
  return NULL;
}
