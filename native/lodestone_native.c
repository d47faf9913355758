/*
 * lodestone_native: the few socket operations Node cannot do by itself.
 *
 *  - AF_PACKET raw sockets bound to one interface and ethertype (ARP/NDP responders), watched with
 *    uv_poll on Node's own loop so received frames arrive as ordinary JS callbacks;
 *  - TCP sockets with an RFC 2385 MD5 key, TTL and GTSM minimum TTL (BGP), handed to JS as fds;
 *  - classic BPF filters on any socket fd (TTL 255 on BFD's UDP sockets).
 *
 * Plain C on N-API v8, no dependencies. Every failing system call throws an Error whose `code` is the
 * errno name and whose message names the call (and the interface, for packet sockets). The JS side
 * (native/index.ts) owns all policy; this file only translates arguments and system calls.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME 65536
/* Frames handed to JS per readiness event; the rest wait for the next loop turn so one busy socket
 * cannot starve timers and other I/O. */
#define MAX_FRAMES_PER_WAKEUP 256

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

static const char *errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOSPC: return "ENOSPC";
    case ENOTSOCK: return "ENOTSOCK";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case EISCONN: return "EISCONN";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    default: return "EUNKNOWN";
  }
}

/* Throws Error(`<call> <subject>: <strerror> (<ERRNO>)`) with .code and .errno set. */
static void throw_errno(napi_env env, int err, const char *call, const char *subject) {
  char msg[256];
  const char *name = errno_name(err);
  if (subject != NULL && subject[0] != '\0') {
    snprintf(msg, sizeof msg, "%s %s: %s (%s)", call, subject, strerror(err), name);
  } else {
    snprintf(msg, sizeof msg, "%s: %s (%s)", call, strerror(err), name);
  }
  napi_value code, message, error, errnum;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_value syscall;
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, error, "syscall", syscall);
  napi_throw(env, error);
}

#define CHECK_NAPI(env, call)                                                    \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      bool pending = false;                                                      \
      napi_is_exception_pending((env), &pending);                                \
      if (!pending) napi_throw_error((env), "ELODESTONE", "N-API call failed");  \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

#define THROW_TYPE(env, text)                         \
  do {                                                \
    napi_throw_type_error((env), "EINVALIDARG", (text)); \
    return NULL;                                      \
  } while (0)

/* ---------------------------------------------------------------------------------------------- */
/* Argument helpers                                                                                */

static bool get_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static bool get_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return false;
  return len < size - 1 || buf[size - 1] == '\0';
}

static bool get_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return false;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return true;
  return t == napi_undefined || t == napi_null;
}

/* Reads an array of {code, jt, jf, k} into a malloc'd sock_filter array. Returns NULL and throws on a
 * malformed element; the kernel judges whether the program itself is valid (EINVAL). */
static struct sock_filter *read_program(napi_env env, napi_value arr, uint32_t *count) {
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "EINVALIDARG", "BPF program must be an array of {code, jt, jf, k}");
    return NULL;
  }
  napi_get_array_length(env, arr, count);
  struct sock_filter *prog = calloc(*count == 0 ? 1 : *count, sizeof *prog);
  if (prog == NULL) {
    throw_errno(env, ENOMEM, "bpf", "program");
    return NULL;
  }
  for (uint32_t i = 0; i < *count; i++) {
    napi_value insn, code, jt, jf, k;
    int64_t vcode, vjt, vjf, vk;
    napi_get_element(env, arr, i, &insn);
    if (napi_get_named_property(env, insn, "code", &code) != napi_ok ||
        napi_get_named_property(env, insn, "jt", &jt) != napi_ok ||
        napi_get_named_property(env, insn, "jf", &jf) != napi_ok ||
        napi_get_named_property(env, insn, "k", &k) != napi_ok || !get_int(env, code, &vcode) ||
        !get_int(env, jt, &vjt) || !get_int(env, jf, &vjf) || !get_int(env, k, &vk) || vcode < 0 ||
        vcode > 0xffff || vjt < 0 || vjt > 0xff || vjf < 0 || vjf > 0xff || vk < -2147483648LL ||
        vk > 0xffffffffLL) {
      char msg[96];
      snprintf(msg, sizeof msg, "BPF instruction %u is not {code: u16, jt: u8, jf: u8, k: u32}", i);
      napi_throw_type_error(env, "EINVALIDARG", msg);
      free(prog);
      return NULL;
    }
    prog[i].code = (uint16_t)vcode;
    prog[i].jt = (uint8_t)vjt;
    prog[i].jf = (uint8_t)vjf;
    prog[i].k = (uint32_t)vk;
  }
  return prog;
}

static int attach_filter(int fd, struct sock_filter *prog, uint32_t count) {
  struct sock_fprog fprog = {.len = (unsigned short)count, .filter = prog};
  if (count > 0xffff) return EINVAL;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) return errno;
  return 0;
}

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

/* Calls the JS callback as cb(error, frame, ifindex, pkttype) inside a callback scope. Returns false
 * when the callback threw (the exception is reported as uncaught) or the socket was closed meanwhile. */
static bool deliver(packet_socket *ps, napi_value err, napi_value frame, int ifindex, int pkttype) {
  napi_env env = ps->env;
  napi_value cb, recv, result, argv[4];
  if (ps->callback == NULL || napi_get_reference_value(env, ps->callback, &cb) != napi_ok) return false;
  /* napi_make_callback needs an object as `this`. */
  napi_get_global(env, &recv);
  napi_get_null(env, &argv[0]);
  if (err != NULL) argv[0] = err;
  if (frame != NULL) {
    argv[1] = frame;
  } else {
    napi_get_undefined(env, &argv[1]);
  }
  napi_create_int32(env, ifindex, &argv[2]);
  napi_create_int32(env, pkttype, &argv[3]);
  napi_status status = napi_make_callback(env, ps->async_context, recv, cb, 4, argv, &result);
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
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (status < 0) {
    /* libuv reports the socket's pending error; hand it to JS once, the socket stays usable. */
    napi_value code, message, error;
    napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, uv_strerror(status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    deliver(ps, error, NULL, ps->ifindex, 0);
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
  napi_close_handle_scope(env, scope);
}

/* packetOpen(ifname: string, ethertype: number, filter?: Insn[]) -> handle
 * The socket is created with protocol 0 (it receives nothing), the filter attached, and only then bound
 * to the ethertype, so no frame that the filter would refuse is ever queued. */
static napi_value packet_open(napi_env env, napi_callback_info info) {
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
static napi_value packet_ifindex(napi_env env, napi_callback_info info) {
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
static napi_value packet_send(napi_env env, napi_callback_info info) {
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
static napi_value packet_membership(napi_env env, napi_callback_info info) {
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
static napi_value packet_set_filter(napi_env env, napi_callback_info info) {
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
static napi_value packet_start(napi_env env, napi_callback_info info) {
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
static napi_value packet_ref(napi_env env, napi_callback_info info) {
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

/* packetStop(handle) - stop receiving, keep the socket. */
static napi_value packet_stop_js(napi_env env, napi_callback_info info) {
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
static napi_value packet_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) THROW_TYPE(env, "expected a packet socket handle");
  packet_socket *ps = get_packet_socket(env, argv[0], false);
  if (ps == NULL) return NULL;
  packet_close(ps);
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* TCP with MD5, TTL, minimum TTL; filters on any fd                                               */

/* Parses text into a sockaddr of `family` (IPv4 text becomes v4-mapped for AF_INET6 sockets, which
 * is how Linux keys IPv4 peers of a dual-stack socket). Returns 0 or EINVAL / EAFNOSUPPORT. */
static int parse_address(const char *text, int family, struct sockaddr_storage *ss, socklen_t *len, int port) {
  struct in_addr v4;
  struct in6_addr v6;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, text, &v4) == 1) {
    if (family == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)ss;
      sin->sin_family = AF_INET;
      sin->sin_addr = v4;
      sin->sin_port = htons((uint16_t)port);
      *len = sizeof *sin;
      return 0;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&sin6->sin6_addr.s6_addr[12], &v4, 4);
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
    return 0;
  }
  if (inet_pton(AF_INET6, text, &v6) == 1) {
    if (family != AF_INET6) return EAFNOSUPPORT;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = v6;
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
    return 0;
  }
  return EINVAL;
}

static int socket_family(int fd, int *family) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return errno;
  *family = ss.ss_family;
  return 0;
}

static int set_ttls(int fd, int family, int64_t ttl, int64_t min_ttl) {
  if (ttl >= 0) {
    int v = (int)ttl;
    int rc = family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v)
                               : setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v);
    if (rc < 0) return errno;
    /* A dual-stack socket talking to an IPv4 peer uses the IPv4 option. */
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v);
  }
  if (min_ttl >= 0) {
    int v = (int)min_ttl;
    int rc = family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_MINTTL, &v, sizeof v)
                               : setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &v, sizeof v);
    if (rc < 0) return errno;
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IP, IP_MINTTL, &v, sizeof v);
  }
  return 0;
}

static bool get_optional_int(napi_env env, napi_value obj, const char *name, int64_t *out, int64_t lo, int64_t hi) {
  napi_value v;
  *out = -1;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return false;
  if (is_nullish(env, v)) return true;
  return get_int(env, v, out) && *out >= lo && *out <= hi;
}

/* tcpSocket(family: 4 | 6, opts: {localAddress?, localPort?, ttl?, minTtl?}) -> fd
 * A non-blocking, close-on-exec TCP socket, bound when a local address or port is given. */
static napi_value tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, local;
  int64_t fam, port, ttl, min_ttl;
  char address[INET6_ADDRSTRLEN + 1] = "";
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fam) || (fam != 4 && fam != 6)) THROW_TYPE(env, "family must be 4 or 6");
  if (!get_optional_int(env, argv[1], "localPort", &port, 0, 65535)) THROW_TYPE(env, "localPort must be 0..65535");
  if (!get_optional_int(env, argv[1], "ttl", &ttl, 1, 255)) THROW_TYPE(env, "ttl must be 1..255");
  if (!get_optional_int(env, argv[1], "minTtl", &min_ttl, 0, 255)) THROW_TYPE(env, "minTtl must be 0..255");
  CHECK_NAPI(env, napi_get_named_property(env, argv[1], "localAddress", &local));
  if (!is_nullish(env, local) && !get_string(env, local, address, sizeof address)) {
    THROW_TYPE(env, "localAddress must be an IP address string");
  }
  int family = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_INET)", "");
    return NULL;
  }
  int err = set_ttls(fd, family, ttl, min_ttl);
  if (err != 0) {
    close(fd);
    throw_errno(env, err, min_ttl >= 0 ? "setsockopt(IP_TTL/IP_MINTTL)" : "setsockopt(IP_TTL)", "");
    return NULL;
  }
  if (address[0] != '\0' || port > 0) {
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    err = parse_address(address[0] != '\0' ? address : (family == AF_INET ? "0.0.0.0" : "::"), family, &ss, &len,
                        port > 0 ? (int)port : 0);
    if (err == 0 && bind(fd, (struct sockaddr *)&ss, len) < 0) err = errno;
    if (err != 0) {
      close(fd);
      throw_errno(env, err, "bind", address);
      return NULL;
    }
  }
  napi_create_int32(env, fd, &result);
  return result;
}

/* setTtl(fd, {ttl?, minTtl?}) on an existing IPv4 or IPv6 socket (a listener, say). */
static napi_value set_ttl_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, ttl, min_ttl;
  int family = AF_UNSPEC;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a non-negative integer");
  if (!get_optional_int(env, argv[1], "ttl", &ttl, 1, 255)) THROW_TYPE(env, "ttl must be 1..255");
  if (!get_optional_int(env, argv[1], "minTtl", &min_ttl, 0, 255)) THROW_TYPE(env, "minTtl must be 0..255");
  int err = socket_family((int)fd, &family);
  if (err == 0 && family != AF_INET && family != AF_INET6) err = EAFNOSUPPORT;
  if (err == 0) err = set_ttls((int)fd, family, ttl, min_ttl);
  if (err != 0) throw_errno(env, err, "setsockopt(IP_TTL/IP_MINTTL)", "");
  return NULL;
}

/* setMd5Key(fd, peer: string, key: Buffer, prefixLength?: number) - an empty key removes the peer's key. */
static napi_value set_md5_key(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int64_t fd, prefix = -1;
  char peer[INET6_ADDRSTRLEN + 1];
  void *key;
  size_t keylen;
  int family = AF_UNSPEC;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a non-negative integer");
  if (!get_string(env, argv[1], peer, sizeof peer)) THROW_TYPE(env, "peer must be an IP address string");
  if (!get_buffer(env, argv[2], &key, &keylen)) THROW_TYPE(env, "key must be a Buffer");
  if (argc >= 4 && !is_nullish(env, argv[3]) && (!get_int(env, argv[3], &prefix) || prefix < 0 || prefix > 128)) {
    THROW_TYPE(env, "prefixLength must be 0..128");
  }
  if (keylen > TCP_MD5SIG_MAXKEYLEN) {
    throw_errno(env, EINVAL, "setsockopt(TCP_MD5SIG) key longer than 80 bytes for", peer);
    return NULL;
  }
  int err = socket_family((int)fd, &family);
  if (err != 0) {
    throw_errno(env, err, "getsockname", peer);
    return NULL;
  }
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  socklen_t alen;
  err = parse_address(peer, family, &sig.tcpm_addr, &alen, 0);
  if (err != 0) {
    throw_errno(env, err, "setsockopt(TCP_MD5SIG) peer", peer);
    return NULL;
  }
  sig.tcpm_keylen = (uint16_t)keylen;
  memcpy(sig.tcpm_key, key, keylen);
  int opt = TCP_MD5SIG;
  if (prefix >= 0) {
    opt = TCP_MD5SIG_EXT;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    /* An IPv4 prefix on a dual-stack socket is expressed within the v4-mapped /96. */
    bool v4 = strchr(peer, ':') == NULL;
    sig.tcpm_prefixlen = (uint8_t)(v4 && family == AF_INET6 ? prefix + 96 : prefix);
  }
  if (setsockopt((int)fd, IPPROTO_TCP, opt, &sig, sizeof sig) < 0) {
    throw_errno(env, errno, "setsockopt(TCP_MD5SIG) peer", peer);
    return NULL;
  }
  return NULL;
}

/* attachFilter(fd, program: Insn[]) on any socket. */
static napi_value attach_filter_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd;
  uint32_t count;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a non-negative integer");
  struct sock_filter *prog = read_program(env, argv[1], &count);
  if (prog == NULL) return NULL;
  int err = attach_filter((int)fd, prog, count);
  free(prog);
  if (err != 0) {
    char subject[32];
    snprintf(subject, sizeof subject, "fd %d", (int)fd);
    throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", subject);
  }
  return NULL;
}

/* closeFd(fd) - for sockets never handed to a net.Socket. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t fd;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a non-negative integer");
  if (close((int)fd) < 0) throw_errno(env, errno, "close", "");
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"packetOpen", NULL, packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetIfindex", NULL, packet_ifindex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSend", NULL, packet_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetMembership", NULL, packet_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSetFilter", NULL, packet_set_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetStart", NULL, packet_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetStop", NULL, packet_stop_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetRef", NULL, packet_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetClose", NULL, packet_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSocket", NULL, tcp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTtl", NULL, set_ttl_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMd5Key", NULL, set_md5_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attachFilter", NULL, attach_filter_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
