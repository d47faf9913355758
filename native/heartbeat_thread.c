/*
 * The layer 2 heartbeat's socket and thread, in the speaker's own process (docs/adr/0013, 0014).
 *
 * The speaker keeps the heartbeat's logic (what it says, who the peers are, the keys, which peers are
 * alive) in JavaScript. This thread owns the heartbeat's UDP socket and does the two things that come
 * around 13 times a second per peer:
 *  - Sending. JavaScript hands it a template: the body as protocols/l2/heartbeat.ts encodes it, with the
 *    sequence (offset 14, u32) and the send time (offset 18, u64 ms since the epoch, both big-endian)
 *    left for this thread to fill in; the signing key; the peers. Each send patches both, appends
 *    HMAC-SHA256 over the body and hands the datagram to the kernel once per peer.
 *  - Taking repeats. A peer's heartbeat that says exactly what the last one JavaScript accepted from it
 *    said (every byte but the sequence and the send time), with a higher sequence, a send time within
 *    the skew bound and a MAC under an accepted key, changes nothing but "heard just now": the thread
 *    records that and keeps it. Everything else (a change, a new or unknown peer, a replay, a bad MAC,
 *    garbage) is queued for JavaScript, which judges it as it judges every heartbeat and tells the
 *    thread what it accepted (beaconLearn) and which peers it forgot (beaconForget); its expiry timers
 *    ask when a peer was last heard here (beaconHeard).
 *
 * Why a thread and not JavaScript: a speaker whose main thread is held (a relist, JSON, a GC) longer
 * than the peers' 250 ms timeout would go silent and lose its IPs; and a datagram that reaches
 * JavaScript costs the main thread far more than the datagram itself (libuv, a callback, the tick
 * queue: half of an idle speaker's CPU when every heartbeat went there). This thread runs no
 * JavaScript and shares nothing with V8: sending and taking repeats allocate nothing (the template,
 * keys, peers, the peers' last heartbeats and the queue live in its struct; the MAC is hmac.c's, on
 * its stack), so neither a collection nor malloc's locks can hold them. Only waking the main thread
 * for a queued datagram goes through N-API's threadsafe function (one call pending at most, which
 * N-API queues itself). It waits in ppoll on a monotonic deadline and can raise itself to SCHED_RR.
 *
 *   beaconStart(bindAddress, port, intervalMs, realtimePriority, onQueued): handle
 *                                      (binds the socket; the first beaconSet sends, then every interval;
 *                                       onQueued() is called on the main thread when datagrams wait)
 *   beaconSet(handle, body, key, peers: [{address, port}])   (a new template; peers of the socket's family)
 *   beaconSendNow(handle)                                    (an extra send now, from the caller's thread)
 *   beaconListen(handle, keys, maxSkewMs)                    (what repeats are checked with)
 *   beaconTake(handle): Buffer[]                             (the datagrams queued for JavaScript)
 *   beaconLearn(handle, datagram)                            (JavaScript accepted it: take its repeats)
 *   beaconForget(handle, node)                               (JavaScript forgot the peer: queue all again)
 *   beaconHeard(handle, node): [sequence, msAgo] | undefined (the last repeat taken since the last learn)
 *   beaconStats(handle): {sent, failed, repeats, dropped, sequence, maxLateMs, scheduling, port}
 *                                                            (maxLateMs is reset by reading)
 *   beaconStop(handle)                                       (joins the thread, closes the socket)
 */
#include "lodestone_native.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#define BEACON_MAX_BODY 1024
#define BEACON_MAX_KEY 64
#define BEACON_MAX_KEYS 4
#define BEACON_MAX_PEERS 64
#define BEACON_MAC HMAC_SHA256_LENGTH
#define BEACON_MAX_DATAGRAM (BEACON_MAX_BODY + BEACON_MAC)
/* Datagrams waiting for JavaScript; more are dropped (counted) until it takes them. */
#define BEACON_QUEUE 64
#define SEQUENCE_AT 14
#define SENT_AT 18
#define NAME_AT 26

/* A peer's last heartbeat JavaScript accepted (its body), and the last repeat of it taken here. */
typedef struct {
  bool known;
  uint8_t body[BEACON_MAX_BODY];
  size_t body_len;
  uint32_t sequence;
  int64_t heard_ns; /* CLOCK_MONOTONIC of the last repeat taken; 0: none since the last learn */
} peer_slot_t;

typedef struct {
  uint8_t data[BEACON_MAX_DATAGRAM];
  size_t len;
} queued_t;

typedef struct {
  pthread_t thread;
  pthread_mutex_t lock;
  int fd;
  int wake_fd; /* eventfd: a template armed the sender, or stop */
  int family;
  uint16_t port;
  napi_threadsafe_function on_queued;
  int64_t interval_ns;
  int priority;
  bool started;
  /* Under lock. */
  bool stopping;
  bool armed; /* a template has been set */
  uint8_t body[BEACON_MAX_BODY];
  size_t body_len;
  uint8_t key[BEACON_MAX_KEY];
  size_t key_len;
  struct sockaddr_storage peers[BEACON_MAX_PEERS];
  socklen_t peer_lens[BEACON_MAX_PEERS];
  int npeers;
  uint32_t sequence;
  uint8_t packet[BEACON_MAX_DATAGRAM];
  uint8_t accept_keys[BEACON_MAX_KEYS][BEACON_MAX_KEY];
  size_t accept_key_lens[BEACON_MAX_KEYS];
  int naccept_keys;
  int64_t max_skew_ms;
  peer_slot_t slots[BEACON_MAX_PEERS];
  queued_t queue[BEACON_QUEUE];
  int queued;
  bool wake_pending; /* onQueued called and the queue not taken since */
  /* Only the thread. */
  uint8_t rx[BEACON_MAX_DATAGRAM + 1];
  /* Only the main thread: the queue as beaconTake copies it out; the lifetime below. */
  queued_t taken[BEACON_QUEUE];
  /* The struct is freed when both its JS handle and onQueued's threadsafe function are finalized. */
  int refs;
  bool tsfn_released;
  bool tsfn_finalized;
  /* Read by JS without the lock. */
  atomic_uint_fast64_t sent;
  atomic_uint_fast64_t failed;
  atomic_uint_fast64_t repeats;
  atomic_uint_fast64_t dropped;
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

static uint64_t read_be(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
  return v;
}

/* One heartbeat to every peer. Called with the lock held. */
static void send_locked(beacon_t *b) {
  /* Stopping: the socket is (being) closed, and its number may be another socket's. */
  if (!b->armed || b->stopping) return;
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
    /* Non-blocking: a full send buffer is a failed send, as a lost datagram is. */
    ssize_t n = sendto(b->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&b->peers[i], b->peer_lens[i]);
    if (n == (ssize_t)len) atomic_fetch_add(&b->sent, 1);
    else atomic_fetch_add(&b->failed, 1);
  }
}

/* The slot of the peer whose heartbeat names it by `name` (length byte then bytes), or NULL. */
static peer_slot_t *slot_of(beacon_t *b, const uint8_t *name) {
  for (int i = 0; i < BEACON_MAX_PEERS; i++) {
    peer_slot_t *s = &b->slots[i];
    if (s->known && s->body[NAME_AT] == name[0] && memcmp(&s->body[NAME_AT + 1], name + 1, name[0]) == 0) return s;
  }
  return NULL;
}

/* Whether a datagram's body of `body_len` holds a node name in bounds (the name's length byte at NAME_AT). */
static bool names_a_node(const uint8_t *d, size_t body_len) {
  return body_len > NAME_AT + 1 && d[NAME_AT] >= 1 && (size_t)NAME_AT + 1 + d[NAME_AT] <= body_len;
}

/* Whether `mac` is HMAC-SHA256 of the body under one of the accepted keys. */
static bool mac_accepted(beacon_t *b, const uint8_t *body, size_t body_len, const uint8_t *mac) {
  for (int i = 0; i < b->naccept_keys; i++) {
    if (hmac_sha256_matches(b->accept_keys[i], b->accept_key_lens[i], body, body_len, mac)) return true;
  }
  return false;
}

/*
 * Takes the datagram if it repeats the peer's last accepted heartbeat (see the top of this file): every
 * byte the same but the sequence (higher) and the send time (within the skew bound), and a MAC under an
 * accepted key. Called with the lock held.
 */
static bool take_repeat_locked(beacon_t *b, const uint8_t *d, size_t len) {
  if (len < NAME_AT + 2 + BEACON_MAC || len > BEACON_MAX_DATAGRAM) return false;
  size_t body_len = len - BEACON_MAC;
  if (!names_a_node(d, body_len)) return false;
  peer_slot_t *s = slot_of(b, d + NAME_AT);
  if (s == NULL || s->body_len != body_len) return false;
  if (memcmp(s->body, d, SEQUENCE_AT) != 0 || memcmp(s->body + NAME_AT, d + NAME_AT, body_len - NAME_AT) != 0) return false;
  uint32_t sequence = (uint32_t)read_be(d + SEQUENCE_AT, 4);
  if (sequence <= s->sequence) return false;
  int64_t skew = now_ns(CLOCK_REALTIME) / 1000000 - (int64_t)read_be(d + SENT_AT, 8);
  if (skew > b->max_skew_ms || -skew > b->max_skew_ms) return false;
  if (!mac_accepted(b, d, body_len, d + body_len)) return false;
  s->sequence = sequence;
  s->heard_ns = now_ns(CLOCK_MONOTONIC);
  return true;
}

/* Reads every datagram waiting on the socket: repeats are taken, the rest queued for JavaScript. */
static void receive_all(beacon_t *b) {
  for (int n = 0; n < BEACON_QUEUE; n++) {
    ssize_t len = recv(b->fd, b->rx, sizeof b->rx, MSG_DONTWAIT | MSG_TRUNC);
    if (len < 0) return; /* EAGAIN: read them all (an ICMP error: nothing to do) */
    bool wake = false;
    pthread_mutex_lock(&b->lock);
    if (take_repeat_locked(b, b->rx, (size_t)len)) {
      atomic_fetch_add(&b->repeats, 1);
    } else if (b->queued == BEACON_QUEUE) {
      atomic_fetch_add(&b->dropped, 1);
    } else {
      /* Longer than any heartbeat: truncated, and the codec refuses it. */
      size_t keep = (size_t)len < BEACON_MAX_DATAGRAM ? (size_t)len : BEACON_MAX_DATAGRAM;
      memcpy(b->queue[b->queued].data, b->rx, keep);
      b->queue[b->queued].len = keep;
      b->queued++;
      wake = !b->wake_pending;
      b->wake_pending = true;
    }
    pthread_mutex_unlock(&b->lock);
    if (wake) napi_call_threadsafe_function(b->on_queued, NULL, napi_tsfn_nonblocking);
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
  pthread_setname_np(pthread_self(), "heartbeat");
  raise_priority(b);
  /* The first heartbeat goes when the first template arrives; the rhythm counts from it. */
  int64_t due = -1;
  for (;;) {
    pthread_mutex_lock(&b->lock);
    if (b->stopping) {
      pthread_mutex_unlock(&b->lock);
      break;
    }
    int64_t now = now_ns(CLOCK_MONOTONIC);
    if (b->armed && due < 0) due = now;
    if (due >= 0 && now >= due) {
      int64_t late = now - due;
      if (late > atomic_load(&b->max_late_ns)) atomic_store(&b->max_late_ns, late);
      send_locked(b);
      due += b->interval_ns;
      /* Held past whole intervals (a suspended VM): send once and keep the rhythm from now. */
      if (due <= now) due = now + b->interval_ns;
    }
    pthread_mutex_unlock(&b->lock);
    struct timespec wait, *timeout = NULL;
    if (due >= 0) {
      int64_t left = due - now_ns(CLOCK_MONOTONIC);
      wait = to_timespec(left > 0 ? left : 0);
      timeout = &wait;
    }
    struct pollfd fds[2] = {{.fd = b->fd, .events = POLLIN}, {.fd = b->wake_fd, .events = POLLIN}};
    if (ppoll(fds, 2, timeout, NULL) <= 0) continue; /* the deadline (or EINTR) */
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      if (read(b->wake_fd, &count, sizeof count) < 0) { /* EAGAIN: already read */ }
    }
    if (fds[0].revents & POLLIN) receive_all(b);
  }
  return NULL;
}

static void wake_thread(beacon_t *b) {
  uint64_t one = 1;
  if (write(b->wake_fd, &one, sizeof one) < 0) { /* EAGAIN: the counter is full, the thread is woken anyway */ }
}

/* Stops and joins the thread and closes the socket (main thread only; again: nothing). */
static void beacon_stop(beacon_t *b) {
  if (b->started) {
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_mutex_unlock(&b->lock);
    wake_thread(b);
    pthread_join(b->thread, NULL);
    b->started = false;
    close(b->fd);
    close(b->wake_fd);
  }
  if (!b->tsfn_released && !b->tsfn_finalized) {
    b->tsfn_released = true;
    napi_release_threadsafe_function(b->on_queued, napi_tsfn_abort);
  }
}

static void beacon_unref(beacon_t *b) {
  if (--b->refs > 0) return;
  pthread_mutex_destroy(&b->lock);
  free(b);
}

/* The JS handle was collected. */
static void beacon_finalize(napi_env env, void *data, void *hint) {
  beacon_t *b = data;
  beacon_stop(b);
  beacon_unref(b);
}

/* onQueued's threadsafe function is gone (released, or the environment is torn down): the thread must not call it. */
static void on_queued_finalize(napi_env env, void *data, void *hint) {
  beacon_t *b = data;
  b->tsfn_finalized = true;
  beacon_stop(b);
  beacon_unref(b);
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

/* The beacon handle that is the call's first argument, and up to `want` - 1 more (NULL, with an error thrown, when it is not one). */
static beacon_t *beacon_arguments(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, "ELODESTONE", "N-API call failed");
    return NULL;
  }
  if (argc < want) {
    napi_throw_type_error(env, "EINVALIDARG", "missing arguments");
    return NULL;
  }
  return get_beacon(env, argv[0]);
}

/* Calls JavaScript's onQueued on the main thread (no arguments: it takes the queue itself). */
static void call_on_queued(napi_env env, napi_value js_callback, void *context, void *data) {
  if (env == NULL || js_callback == NULL) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_callback, 0, NULL, NULL);
}

napi_value beacon_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char address[INET6_ADDRSTRLEN];
  int64_t port, interval_ms, priority;
  napi_valuetype callback_type = napi_undefined;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5 || !get_string(env, argv[0], address, sizeof address)) THROW_TYPE(env, "bindAddress must be an IP address");
  if (!get_int(env, argv[1], &port) || port < 0 || port > 65535) THROW_TYPE(env, "port must be 0..65535");
  if (!get_int(env, argv[2], &interval_ms) || interval_ms < 1 || interval_ms > 60000) THROW_TYPE(env, "intervalMs must be 1..60000");
  if (!get_int(env, argv[3], &priority) || priority < 0 || priority > 99) THROW_TYPE(env, "priority must be 0..99 (0: leave it)");
  if (napi_typeof(env, argv[4], &callback_type) != napi_ok || callback_type != napi_function) THROW_TYPE(env, "onQueued must be a function");
  /* The socket's family is the address's (inet_socket.c parses it, as for every socket of the addon). */
  struct sockaddr_storage parsed;
  socklen_t parsed_len;
  int family = parse_address(address, AF_INET, &parsed, &parsed_len, 0) == 0    ? AF_INET
               : parse_address(address, AF_INET6, &parsed, &parsed_len, 0) == 0 ? AF_INET6
                                                                                : AF_UNSPEC;
  if (family == AF_UNSPEC) THROW_TYPE(env, "bindAddress must be an IP address");
  beacon_t *b = calloc(1, sizeof *b);
  if (b == NULL) {
    throw_errno(env, ENOMEM, "beaconStart", "");
    return NULL;
  }
  char subject[INET6_ADDRSTRLEN + 16];
  snprintf(subject, sizeof subject, family == AF_INET6 ? "[%s]:%d" : "%s:%d", address, (int)port);
  b->family = family;
  b->fd = device_socket(env, family, SOCK_DGRAM, "", "socket(SOCK_DGRAM)");
  if (b->fd < 0 || !bind_local(env, b->fd, family, address, (int)port, subject)) {
    free(b);
    return NULL;
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(b->fd, (struct sockaddr *)&bound, &bound_len);
  b->port = ntohs(b->family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  b->interval_ns = interval_ms * 1000000;
  b->priority = (int)priority;
  b->max_skew_ms = 30000;
  napi_value name;
  napi_create_string_utf8(env, "lodestone heartbeat", NAPI_AUTO_LENGTH, &name);
  if (b->wake_fd < 0 || napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, b, on_queued_finalize, NULL, call_on_queued, &b->on_queued) != napi_ok) {
    int err = b->wake_fd < 0 ? errno : ENOMEM;
    close(b->fd);
    if (b->wake_fd >= 0) close(b->wake_fd);
    free(b);
    throw_errno(env, err, "beaconStart", subject);
    return NULL;
  }
  /* Datagrams waiting do not keep the process alive; the socket is closed by beaconStop. */
  napi_unref_threadsafe_function(env, b->on_queued);
  pthread_mutex_init(&b->lock, NULL);
  b->refs = 2;
  pthread_attr_t tattr;
  pthread_attr_init(&tattr);
  pthread_attr_setstacksize(&tattr, 64 * 1024);
  int err = pthread_create(&b->thread, &tattr, beacon_main, b);
  pthread_attr_destroy(&tattr);
  if (err != 0) {
    /* No handle will be made: the threadsafe function's finalizer frees the rest. */
    close(b->fd);
    close(b->wake_fd);
    b->refs = 1;
    beacon_stop(b);
    throw_errno(env, err, "pthread_create", "heartbeat thread");
    return NULL;
  }
  b->started = true;
  napi_value handle;
  if (napi_create_external(env, b, beacon_finalize, NULL, &handle) != napi_ok) {
    beacon_finalize(env, b, NULL);  /* the threadsafe function's finalizer frees it */
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
  /* An IPv4 peer on an IPv6 socket becomes a mapped address. */
  if (parse_address(address, family, out, len, (int)port) == 0) return true;
  char msg[128];
  snprintf(msg, sizeof msg, "peer address %s is not an %s address", address, family == AF_INET6 ? "IPv6" : "IPv4");
  napi_throw_type_error(env, "EINVALIDARG", msg);
  return false;
}

napi_value beacon_set(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *body, *key;
  size_t body_len, key_len;
  bool is_array = false;
  uint32_t npeers = 0;
  beacon_t *b = beacon_arguments(env, info, 4, argv);
  if (b == NULL) return NULL;
  if (!get_buffer(env, argv[1], &body, &body_len) || body_len < SENT_AT + 8 || body_len > BEACON_MAX_BODY) THROW_TYPE(env, "body must be a Buffer of 26..1024 bytes");
  if (!get_buffer(env, argv[2], &key, &key_len) || key_len < 1 || key_len > BEACON_MAX_KEY) THROW_TYPE(env, "key must be a Buffer of 1..64 bytes");
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array) THROW_TYPE(env, "peers must be an array");
  CHECK_NAPI(env, napi_get_array_length(env, argv[3], &npeers));
  if (npeers > BEACON_MAX_PEERS) THROW_TYPE(env, "at most 64 peers");
  struct sockaddr_storage peers[BEACON_MAX_PEERS];
  socklen_t lens[BEACON_MAX_PEERS];
  for (uint32_t i = 0; i < npeers; i++) {
    napi_value peer;
    CHECK_NAPI(env, napi_get_element(env, argv[3], i, &peer));
    if (!read_peer(env, peer, b->family, &peers[i], &lens[i])) return NULL;
  }
  pthread_mutex_lock(&b->lock);
  memcpy(b->body, body, body_len);
  b->body_len = body_len;
  memcpy(b->key, key, key_len);
  b->key_len = key_len;
  memcpy(b->peers, peers, sizeof peers[0] * npeers);
  memcpy(b->peer_lens, lens, sizeof lens[0] * npeers);
  b->npeers = (int)npeers;
  /* The first template starts the rhythm; after beaconStop the eventfd is closed (its number may be reused). */
  bool wake = !b->armed && !b->stopping;
  b->armed = true;
  pthread_mutex_unlock(&b->lock);
  if (wake) wake_thread(b);
  return NULL;
}

napi_value beacon_send_now(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  beacon_t *b = beacon_arguments(env, info, 1, argv);
  if (b == NULL) return NULL;
  pthread_mutex_lock(&b->lock);
  send_locked(b);
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

napi_value beacon_listen(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  bool is_array = false;
  uint32_t nkeys = 0;
  int64_t max_skew_ms;
  beacon_t *b = beacon_arguments(env, info, 3, argv);
  if (b == NULL) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) THROW_TYPE(env, "keys must be an array of Buffers");
  CHECK_NAPI(env, napi_get_array_length(env, argv[1], &nkeys));
  if (nkeys > BEACON_MAX_KEYS) THROW_TYPE(env, "at most 4 keys");
  if (!get_int(env, argv[2], &max_skew_ms) || max_skew_ms < 0) THROW_TYPE(env, "maxSkewMs must be a number >= 0");
  uint8_t keys[BEACON_MAX_KEYS][BEACON_MAX_KEY];
  size_t lens[BEACON_MAX_KEYS];
  for (uint32_t i = 0; i < nkeys; i++) {
    napi_value k;
    void *key;
    CHECK_NAPI(env, napi_get_element(env, argv[1], i, &k));
    if (!get_buffer(env, k, &key, &lens[i]) || lens[i] < 1 || lens[i] > BEACON_MAX_KEY) THROW_TYPE(env, "keys must be Buffers of 1..64 bytes");
    memcpy(keys[i], key, lens[i]);
  }
  pthread_mutex_lock(&b->lock);
  memcpy(b->accept_keys, keys, sizeof keys);
  memcpy(b->accept_key_lens, lens, sizeof lens);
  b->naccept_keys = (int)nkeys;
  b->max_skew_ms = max_skew_ms;
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

napi_value beacon_take(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  beacon_t *b = beacon_arguments(env, info, 1, argv);
  if (b == NULL) return NULL;
  /* Copied out under the lock, then made Buffers without it. */
  queued_t *taken = b->taken;
  pthread_mutex_lock(&b->lock);
  int n = b->queued;
  memcpy(taken, b->queue, sizeof taken[0] * n);
  b->queued = 0;
  b->wake_pending = false;
  pthread_mutex_unlock(&b->lock);
  napi_value out;
  CHECK_NAPI(env, napi_create_array_with_length(env, (size_t)n, &out));
  for (int i = 0; i < n; i++) {
    napi_value buffer;
    CHECK_NAPI(env, napi_create_buffer_copy(env, taken[i].len, taken[i].data, NULL, &buffer));
    CHECK_NAPI(env, napi_set_element(env, out, (uint32_t)i, buffer));
  }
  return out;
}

napi_value beacon_learn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *data;
  size_t len;
  beacon_t *b = beacon_arguments(env, info, 2, argv);
  if (b == NULL) return NULL;
  if (!get_buffer(env, argv[1], &data, &len) || len < NAME_AT + 2 + BEACON_MAC || len > BEACON_MAX_DATAGRAM || !names_a_node(data, len - BEACON_MAC)) {
    THROW_TYPE(env, "datagram must be a heartbeat (a Buffer of 60..1056 bytes naming a node)");
  }
  const uint8_t *d = data;
  size_t body_len = len - BEACON_MAC;
  pthread_mutex_lock(&b->lock);
  peer_slot_t *s = slot_of(b, d + NAME_AT);
  for (int i = 0; s == NULL && i < BEACON_MAX_PEERS; i++) {
    if (!b->slots[i].known) s = &b->slots[i];
  }
  /* More peers than slots: the others' repeats go to JavaScript, as all did before. */
  if (s != NULL) {
    memcpy(s->body, d, body_len);
    s->body_len = body_len;
    s->sequence = (uint32_t)read_be(d + SEQUENCE_AT, 4);
    s->heard_ns = 0;
    s->known = true;
  }
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

/*
 * The calls (handle, node): the beacon, and the node's name as a heartbeat carries it (length byte,
 * then the bytes) in `name`; NULL, with an error thrown, when either is not one.
 */
static beacon_t *beacon_and_node(napi_env env, napi_callback_info info, uint8_t name[256]) {
  napi_value argv[2];
  size_t len = 0;
  beacon_t *b = beacon_arguments(env, info, 2, argv);
  if (b == NULL) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], (char *)name + 1, 255, &len) != napi_ok || len < 1 || len > 253) {
    napi_throw_type_error(env, "EINVALIDARG", "node must be a name of 1..253 bytes");
    return NULL;
  }
  name[0] = (uint8_t)len;
  return b;
}

napi_value beacon_forget(napi_env env, napi_callback_info info) {
  uint8_t name[256];
  beacon_t *b = beacon_and_node(env, info, name);
  if (b == NULL) return NULL;
  pthread_mutex_lock(&b->lock);
  peer_slot_t *s = slot_of(b, name);
  if (s != NULL) s->known = false;
  pthread_mutex_unlock(&b->lock);
  return NULL;
}

napi_value beacon_heard(napi_env env, napi_callback_info info) {
  uint8_t name[256];
  beacon_t *b = beacon_and_node(env, info, name);
  if (b == NULL) return NULL;
  pthread_mutex_lock(&b->lock);
  peer_slot_t *s = slot_of(b, name);
  bool heard = s != NULL && s->heard_ns != 0;
  uint32_t sequence = heard ? s->sequence : 0;
  int64_t ago_ns = heard ? now_ns(CLOCK_MONOTONIC) - s->heard_ns : 0;
  pthread_mutex_unlock(&b->lock);
  napi_value out, v;
  if (!heard) {
    CHECK_NAPI(env, napi_get_undefined(env, &out));
    return out;
  }
  CHECK_NAPI(env, napi_create_array_with_length(env, 2, &out));
  CHECK_NAPI(env, napi_create_uint32(env, sequence, &v));
  CHECK_NAPI(env, napi_set_element(env, out, 0, v));
  CHECK_NAPI(env, napi_create_double(env, (double)ago_ns / 1e6, &v));
  CHECK_NAPI(env, napi_set_element(env, out, 1, v));
  return out;
}

static bool set_number(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  return napi_create_double(env, value, &v) == napi_ok && napi_set_named_property(env, obj, name, v) == napi_ok;
}

napi_value beacon_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  beacon_t *b = beacon_arguments(env, info, 1, argv);
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
      !set_number(env, out, "repeats", (double)atomic_load(&b->repeats)) || !set_number(env, out, "dropped", (double)atomic_load(&b->dropped)) ||
      !set_number(env, out, "sequence", sequence) || !set_number(env, out, "maxLateMs", (double)atomic_exchange(&b->max_late_ns, 0) / 1e6) ||
      !set_number(env, out, "port", b->port) ||
      napi_create_string_utf8(env, how[scheduling & 3], NAPI_AUTO_LENGTH, &s) != napi_ok || napi_set_named_property(env, out, "scheduling", s) != napi_ok) {
    napi_throw_error(env, "ELODESTONE", "beaconStats: N-API call failed");
    return NULL;
  }
  return out;
}

napi_value beacon_stop_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  beacon_t *b = beacon_arguments(env, info, 1, argv);
  if (b == NULL) return NULL;
  beacon_stop(b);
  return NULL;
}
