/* AF_PACKET raw sockets: open (filter before bind), send, memberships, filters, uv_poll reception. */
#include "lodestone_native.h"

#define MAX_FRAME 65536
/* Frames handed to JS per readiness event; the rest wait for the next loop turn so one busy socket
 * cannot starve timers and other I/O. */
#define MAX_FRAMES_PER_WAKEUP 256

/* ---------------------------------------------------------------------------------------------- */
/* Packet sockets                                                                                  */

typedef struct {
  int fd; /* -1 once closed */
  int ifindex;
  char ifname[IF_NAMESIZE];
  napi_env env;
  uv_poll_t poll;
  bool poll_initialised;
  bool polling;
  bool finalised; /* the JS handle is gone: free once the poll handle is closed */
  napi_ref callback;
  napi_ref self; /* held while receiving: a socket that delivers frames is not collected */
  napi_async_context async_context;
  unsigned char *frame;
} packet_socket;

static void packet_free(packet_socket *ps) {
  free(ps->frame);
  free(ps);
}

static void on_poll_closed(uv_handle_t *handle) {
  packet_socket *ps = handle->data;
  ps->poll_initialised = false;
  if (ps->finalised) packet_free(ps);
}

/* Stops delivering frames and releases the callback; the fd stays open. */
static void packet_stop(packet_socket *ps) {
  if (ps->polling) {
    uv_poll_stop(&ps->poll);
    ps->polling = false;
  }
  if (ps->callback != NULL) {
    napi_delete_reference(ps->env, ps->callback);
    ps->callback = NULL;
  }
  if (ps->self != NULL) {
    napi_delete_reference(ps->env, ps->self);
    ps->self = NULL;
  }
  if (ps->async_context != NULL) {
    napi_async_destroy(ps->env, ps->async_context);
    ps->async_context = NULL;
  }
}

static void packet_close(packet_socket *ps) {
  packet_stop(ps);
  if (ps->poll_initialised && !uv_is_closing((uv_handle_t *)&ps->poll)) {
    uv_close((uv_handle_t *)&ps->poll, on_poll_closed);
  }
  if (ps->fd >= 0) {
    close(ps->fd);
    ps->fd = -1;
  }
}

static void packet_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  packet_socket *ps = data;
  packet_close(ps);
  ps->finalised = true;
  /* With a poll handle still closing, on_poll_closed frees; otherwise nothing else will. */
  if (!ps->poll_initialised) packet_free(ps);
}

static packet_socket *get_packet_socket(napi_env env, napi_value v, bool must_be_open) {
  napi_valuetype t;
  void *data = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "EINVALIDARG", "expected a packet socket handle");
    return NULL;
  }
  packet_socket *ps = data;
  if (must_be_open && ps->fd < 0) {
    throw_errno(env, EBADF, "packet socket", ps->ifname);
    return NULL;
  }
  return ps;
}

/* Calls the JS callback as cb(error, frame, ifindex, pkttype); the caller holds a callback scope. Returns
 * false when the callback threw (the exception is reported as uncaught) or closed the socket. */
static bool deliver(packet_socket *ps, napi_value err, napi_value frame, int ifindex, int pkttype) {
  napi_env env = ps->env;
  napi_value cb, recv, result, argv[4];
  if (ps->callback == NULL || napi_get_reference_value(env, ps->callback, &cb) != napi_ok) return false;
  napi_get_undefined(env, &recv);
  napi_get_null(env, &argv[0]);
  if (err != NULL) argv[0] = err;
  if (frame != NULL) {
    argv[1] = frame;
  } else {
    napi_get_undefined(env, &argv[1]);
  }
  napi_create_int32(env, ifindex, &argv[2]);
  napi_create_int32(env, pkttype, &argv[3]);
  napi_status status = napi_call_function(env, recv, cb, 4, argv, &result);
  if (status != napi_ok) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
    return false;
  }
  return ps->callback != NULL;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  packet_socket *ps = handle->data;
  napi_env env = ps->env;
  napi_handle_scope scope;
  napi_callback_scope callback_scope;
  napi_value resource;
  if (ps->callback == NULL || napi_open_handle_scope(env, &scope) != napi_ok) return;
  /* One callback scope per wake-up, not per frame: nextTick and microtask queues drain once, after the
   * whole batch, which is what makes a busy responder cheap (as for a stream's chunks). */
  napi_get_global(env, &resource);
  if (napi_open_callback_scope(env, resource, ps->async_context, &callback_scope) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return;
  }
  if (status < 0) {
    /* libuv reports the socket's pending error; hand it to JS once, the socket stays usable. */
    napi_value code, message, error;
    napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, uv_strerror(status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    deliver(ps, error, NULL, ps->ifindex, 0);
    napi_close_callback_scope(env, callback_scope);
    napi_close_handle_scope(env, scope);
    return;
  }
  for (int n = 0; n < MAX_FRAMES_PER_WAKEUP && ps->fd >= 0; n++) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t len = recvfrom(ps->fd, ps->frame, MAX_FRAME, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
    if (len < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      int err = errno;
      char msg[160];
      snprintf(msg, sizeof msg, "recvfrom %s: %s (%s)", ps->ifname, strerror(err), errno_name(err));
      napi_value code, message, error;
      napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, code, message, &error);
      deliver(ps, error, NULL, ps->ifindex, 0);
      break;
    }
    napi_handle_scope frame_scope;
    napi_open_handle_scope(env, &frame_scope);
    napi_value buf;
    void *copy;
    bool keep_going = napi_create_buffer_copy(env, (size_t)len, ps->frame, &copy, &buf) == napi_ok &&
                      deliver(ps, NULL, buf, from.sll_ifindex, from.sll_pkttype);
    napi_close_handle_scope(env, frame_scope);
    if (!keep_going) break;
  }
  napi_close_callback_scope(env, callback_scope);
  napi_close_handle_scope(env, scope);
}

/* packetOpen(ifname: string, ethertype: number, filter?: Insn[]) -> handle
 * The socket is created with protocol 0 (it receives nothing), the filter attached, and only then bound
 * to the ethertype, so no frame that the filter would refuse is ever queued. */
napi_value packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char ifname[64];
  int64_t ethertype;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_string(env, argv[0], ifname, sizeof ifname)) THROW_TYPE(env, "interface name must be a string");
  if (!get_int(env, argv[1], &ethertype) || ethertype < 0 || ethertype > 0xffff) {
    THROW_TYPE(env, "ethertype must be an integer 0..65535");
  }
  if (strlen(ifname) >= IF_NAMESIZE || ifname[0] == '\0') {
    throw_errno(env, ENODEV, "if_nametoindex", ifname);
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, errno == ENXIO || errno == 0 ? ENODEV : errno, "if_nametoindex", ifname);
    return NULL;
  }
  struct sock_filter *prog = NULL;
  uint32_t count = 0;
  if (argc >= 3 && !is_nullish(env, argv[2])) {
    prog = read_program(env, argv[2], &count);
    if (prog == NULL) return NULL;
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    free(prog);
    throw_errno(env, err, "socket(AF_PACKET)", ifname);
    return NULL;
  }
  if (prog != NULL) {
    int err = attach_filter(fd, prog, count);
    free(prog);
    if (err != 0) {
      close(fd);
      throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", ifname);
      return NULL;
    }
  }
  struct sockaddr_ll addr;
  memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons((uint16_t)ethertype);
  addr.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind(AF_PACKET)", ifname);
    return NULL;
  }
  packet_socket *ps = calloc(1, sizeof *ps);
  unsigned char *frame = malloc(MAX_FRAME);
  if (ps == NULL || frame == NULL) {
    free(ps);
    free(frame);
    close(fd);
    throw_errno(env, ENOMEM, "packetOpen", ifname);
    return NULL;
  }
  ps->fd = fd;
  ps->ifindex = (int)ifindex;
  memcpy(ps->ifname, ifname, strlen(ifname) + 1);
  ps->env = env;
  ps->frame = frame;
  napi_value handle;
  if (napi_create_external(env, ps, packet_finalize, NULL, &handle) != napi_ok) {
    close(fd);
    packet_free(ps);
    napi_throw_error(env, "ELODESTONE", "napi_create_external failed");
    return NULL;
  }
  return handle;
}

/* packetIfindex(handle) -> number */
napi_value packet_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) THROW_TYPE(env, "expected a packet socket handle");
  packet_socket *ps = get_packet_socket(env, argv[0], false);
  if (ps == NULL) return NULL;
  napi_create_int32(env, ps->ifindex, &result);
  return result;
}

/* packetSend(handle, frame: Buffer) -> bytes sent. The frame is complete, Ethernet header included. */
napi_value packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *data;
  size_t len;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) THROW_TYPE(env, "packetSend(handle, frame)");
  packet_socket *ps = get_packet_socket(env, argv[0], true);
  if (ps == NULL) return NULL;
  if (!get_buffer(env, argv[1], &data, &len)) THROW_TYPE(env, "frame must be a Buffer");
  ssize_t sent = send(ps->fd, data, len, MSG_DONTWAIT);
  if (sent < 0) {
    throw_errno(env, errno, "send", ps->ifname);
    return NULL;
  }
  napi_create_int64(env, sent, &result);
  return result;
}

/* packetMembership(handle, add: boolean, kind: 0 multicast | 1 allmulti | 2 promisc, mac?: Buffer) */
napi_value packet_membership(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  bool add;
  int64_t kind;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) THROW_TYPE(env, "packetMembership(handle, add, kind, mac?)");
  packet_socket *ps = get_packet_socket(env, argv[0], true);
  if (ps == NULL) return NULL;
  if (napi_get_value_bool(env, argv[1], &add) != napi_ok) THROW_TYPE(env, "add must be a boolean");
  if (!get_int(env, argv[2], &kind) || kind < 0 || kind > 2) THROW_TYPE(env, "kind must be 0, 1 or 2");
  struct packet_mreq mreq;
  memset(&mreq, 0, sizeof mreq);
  mreq.mr_ifindex = ps->ifindex;
  mreq.mr_type = kind == 0 ? PACKET_MR_MULTICAST : kind == 1 ? PACKET_MR_ALLMULTI : PACKET_MR_PROMISC;
  if (kind == 0) {
    void *mac;
    size_t len;
    if (argc < 4 || !get_buffer(env, argv[3], &mac, &len) || len != 6) THROW_TYPE(env, "mac must be a 6-byte Buffer");
    mreq.mr_alen = 6;
    memcpy(mreq.mr_address, mac, 6);
  }
  int opt = add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
  if (setsockopt(ps->fd, SOL_PACKET, opt, &mreq, sizeof mreq) < 0) {
    throw_errno(env, errno, add ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)",
                ps->ifname);
    return NULL;
  }
  return NULL;
}

/* packetSetFilter(handle, program: Insn[]) */
napi_value packet_set_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t count;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) THROW_TYPE(env, "packetSetFilter(handle, program)");
  packet_socket *ps = get_packet_socket(env, argv[0], true);
  if (ps == NULL) return NULL;
  struct sock_filter *prog = read_program(env, argv[1], &count);
  if (prog == NULL) return NULL;
  int err = attach_filter(ps->fd, prog, count);
  free(prog);
  if (err != 0) throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", ps->ifname);
  return NULL;
}

/* packetStart(handle, cb(err, frame, ifindex, pkttype)) - replaces any previous callback. */
napi_value packet_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], resource_name;
  napi_valuetype t;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) THROW_TYPE(env, "packetStart(handle, callback)");
  packet_socket *ps = get_packet_socket(env, argv[0], true);
  if (ps == NULL) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) THROW_TYPE(env, "callback must be a function");
  packet_stop(ps);
  if (!ps->poll_initialised) {
    uv_loop_t *loop;
    CHECK_NAPI(env, napi_get_uv_event_loop(env, &loop));
    int rc = uv_poll_init_socket(loop, &ps->poll, ps->fd);
    if (rc < 0) {
      throw_errno(env, -rc, "uv_poll_init", ps->ifname);
      return NULL;
    }
    ps->poll.data = ps;
    ps->poll_initialised = true;
  }
  CHECK_NAPI(env, napi_create_reference(env, argv[1], 1, &ps->callback));
  CHECK_NAPI(env, napi_create_reference(env, argv[0], 1, &ps->self));
  napi_create_string_utf8(env, "lodestone:PacketSocket", NAPI_AUTO_LENGTH, &resource_name);
  CHECK_NAPI(env, napi_async_init(env, NULL, resource_name, &ps->async_context));
  int rc = uv_poll_start(&ps->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    packet_stop(ps);
    throw_errno(env, -rc, "uv_poll_start", ps->ifname);
    return NULL;
  }
  ps->polling = true;
  return NULL;
}

/* packetRef(handle, ref: boolean) - whether a polling socket keeps the process alive. */
napi_value packet_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool ref;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) THROW_TYPE(env, "packetRef(handle, ref)");
  packet_socket *ps = get_packet_socket(env, argv[0], false);
  if (ps == NULL) return NULL;
  if (napi_get_value_bool(env, argv[1], &ref) != napi_ok) THROW_TYPE(env, "ref must be a boolean");
  if (ps->poll_initialised) {
    if (ref) {
      uv_ref((uv_handle_t *)&ps->poll);
    } else {
      uv_unref((uv_handle_t *)&ps->poll);
    }
  }
  return NULL;
}

/* packetIgnoreOutgoing(handle, ignore: boolean) - whether the kernel queues the frames this host sends
 * (PACKET_IGNORE_OUTGOING, Linux 4.20+). Returns false where the kernel lacks the option, so the caller
 * filters them instead. */
napi_value packet_ignore_outgoing(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  bool ignore;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) THROW_TYPE(env, "packetIgnoreOutgoing(handle, ignore)");
  packet_socket *ps = get_packet_socket(env, argv[0], true);
  if (ps == NULL) return NULL;
  if (napi_get_value_bool(env, argv[1], &ignore) != napi_ok) THROW_TYPE(env, "ignore must be a boolean");
  int value = ignore ? 1 : 0;
  bool supported = true;
  if (setsockopt(ps->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &value, sizeof value) < 0) {
    if (errno != ENOPROTOOPT) {
      throw_errno(env, errno, "setsockopt(PACKET_IGNORE_OUTGOING)", ps->ifname);
      return NULL;
    }
    supported = false;
  }
  napi_get_boolean(env, supported, &result);
  return result;
}

/* packetStop(handle) - stop receiving, keep the socket. */
napi_value packet_stop_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) THROW_TYPE(env, "expected a packet socket handle");
  packet_socket *ps = get_packet_socket(env, argv[0], false);
  if (ps == NULL) return NULL;
  packet_stop(ps);
  return NULL;
}

/* packetClose(handle) - idempotent. */
napi_value packet_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) THROW_TYPE(env, "expected a packet socket handle");
  packet_socket *ps = get_packet_socket(env, argv[0], false);
  if (ps == NULL) return NULL;
  packet_close(ps);
  return NULL;
}
