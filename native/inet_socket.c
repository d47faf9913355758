/* TCP sockets with MD5 keys (RFC 2385), TTL and minimum TTL (GTSM), bound to a device (a VRF);
 * UDP sockets bound to a device; BPF filters on any socket fd. */
#include "lodestone_native.h"

/* ---------------------------------------------------------------------------------------------- */
/* TCP with MD5, TTL, minimum TTL; filters on any fd                                               */

/* Parses text into a sockaddr of `family` (IPv4 text becomes v4-mapped for AF_INET6 sockets, which
 * is how Linux keys IPv4 peers of a dual-stack socket). Returns 0 or EINVAL / EAFNOSUPPORT. */
int parse_address(const char *text, int family, struct sockaddr_storage *ss, socklen_t *len, int port) {
  struct in_addr v4;
  struct in6_addr v6;
  char plain[INET6_ADDRSTRLEN + 1];
  unsigned int scope = 0;
  memset(ss, 0, sizeof *ss);
  /* "fe80::1%eth0": a link-local address on one interface (its scope id, RFC 4007 11). */
  const char *percent = strchr(text, '%');
  if (percent != NULL) {
    size_t n = (size_t)(percent - text);
    if (n >= sizeof plain) return EINVAL;
    memcpy(plain, text, n);
    plain[n] = '\0';
    scope = if_nametoindex(percent + 1);
    if (scope == 0) return ENODEV;
    if (inet_pton(AF_INET6, plain, &v6) != 1) return EINVAL;
    if (family != AF_INET6) return EAFNOSUPPORT;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = v6;
    sin6->sin6_port = htons((uint16_t)port);
    sin6->sin6_scope_id = scope;
    *len = sizeof *sin6;
    return 0;
  }
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

/* SO_BINDTODEVICE: the socket's traffic stays on that device; a VRF device puts the socket in the
 * VRF (routes, local addresses and ports from the VRF's table: docs.kernel.org/networking/vrf.html). */
static int bind_to_device(int fd, const char *device) {
  if (device[0] == '\0') return 0;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device) + 1) < 0) return errno;
  return 0;
}

/* A non-blocking, close-on-exec socket of `type`, bound to `device` first when one is given (before
 * any bind: an address of a VRF's interface is only bindable by a socket already in that VRF).
 * Returns the fd, or -1 with a JS error thrown that names `call` (or SO_BINDTODEVICE and the device). */
int device_socket(napi_env env, int family, int type, const char *device, const char *call) {
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, call, "");
    return -1;
  }
  int err = bind_to_device(fd, device);
  if (err != 0) {
    close(fd);
    throw_errno(env, err, "setsockopt(SO_BINDTODEVICE)", device);
    return -1;
  }
  return fd;
}

/* Binds fd to `address` (text, as parse_address reads it) and `port` (0: any); on failure closes fd,
 * throws an error naming `shown` (the address as the caller gave it) and returns false. */
bool bind_local(napi_env env, int fd, int family, const char *address, int port, const char *shown) {
  struct sockaddr_storage ss;
  socklen_t len;
  int err = parse_address(address, family, &ss, &len, port);
  if (err == 0 && bind(fd, (struct sockaddr *)&ss, len) < 0) err = errno;
  if (err == 0) return true;
  close(fd);
  throw_errno(env, err, "bind", shown);
  return false;
}

/* Reads opts.device ("" when absent); false when it is there but not a link name. */
static bool get_device(napi_env env, napi_value opts, char *device, size_t size) {
  napi_value v;
  device[0] = '\0';
  if (napi_get_named_property(env, opts, "device", &v) != napi_ok) return false;
  if (is_nullish(env, v)) return true;
  return get_string(env, v, device, size);
}

/* tcpSocket(family: 4 | 6, opts: {localAddress?, localPort?, ttl?, minTtl?, device?}) -> fd
 * A non-blocking, close-on-exec TCP socket, bound to `device` first when given, then to the local
 * address or port when given. */
napi_value tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, local;
  int64_t fam, port, ttl, min_ttl;
  char address[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  char device[IF_NAMESIZE] = "";
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fam) || (fam != 4 && fam != 6)) THROW_TYPE(env, "family must be 4 or 6");
  if (!get_optional_int(env, argv[1], "localPort", &port, 0, 65535)) THROW_TYPE(env, "localPort must be 0..65535");
  if (!get_optional_int(env, argv[1], "ttl", &ttl, 1, 255)) THROW_TYPE(env, "ttl must be 1..255");
  if (!get_optional_int(env, argv[1], "minTtl", &min_ttl, 0, 255)) THROW_TYPE(env, "minTtl must be 0..255");
  CHECK_NAPI(env, napi_get_named_property(env, argv[1], "localAddress", &local));
  if (!is_nullish(env, local) && !get_string(env, local, address, sizeof address)) {
    THROW_TYPE(env, "localAddress must be an IP address string");
  }
  if (!get_device(env, argv[1], device, sizeof device)) THROW_TYPE(env, "device must be a link name of at most 15 bytes");
  int family = fam == 4 ? AF_INET : AF_INET6;
  int fd = device_socket(env, family, SOCK_STREAM, device, "socket(AF_INET)");
  if (fd < 0) return NULL;
  int err = set_ttls(fd, family, ttl, min_ttl);
  if (err != 0) {
    close(fd);
    throw_errno(env, err, min_ttl >= 0 ? "setsockopt(IP_TTL/IP_MINTTL)" : "setsockopt(IP_TTL)", "");
    return NULL;
  }
  if (address[0] != '\0' || port > 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const char *any = family == AF_INET ? "0.0.0.0" : "::";
    if (!bind_local(env, fd, family, address[0] != '\0' ? address : any, port > 0 ? (int)port : 0, address)) {
      return NULL;
    }
  }
  napi_create_int32(env, fd, &result);
  return result;
}

/* udpSocket(family: 4 | 6, opts: {localAddress, localPort?, device?, reuseAddr?}) -> fd
 * A non-blocking, close-on-exec UDP socket bound to `device` (a VRF) and then to the address and port,
 * for dgram's bind({fd}): Node binds its own sockets before any option could be set, and an address
 * of a VRF's interface is only bindable by a socket already in that VRF. */
napi_value udp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, local, reuse;
  int64_t fam, port;
  bool reuse_addr = false;
  char address[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  char device[IF_NAMESIZE] = "";
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fam) || (fam != 4 && fam != 6)) THROW_TYPE(env, "family must be 4 or 6");
  if (!get_optional_int(env, argv[1], "localPort", &port, 0, 65535)) THROW_TYPE(env, "localPort must be 0..65535");
  CHECK_NAPI(env, napi_get_named_property(env, argv[1], "localAddress", &local));
  if (!get_string(env, local, address, sizeof address)) THROW_TYPE(env, "localAddress must be an IP address string");
  if (!get_device(env, argv[1], device, sizeof device)) THROW_TYPE(env, "device must be a link name of at most 15 bytes");
  CHECK_NAPI(env, napi_get_named_property(env, argv[1], "reuseAddr", &reuse));
  if (!is_nullish(env, reuse)) CHECK_NAPI(env, napi_get_value_bool(env, reuse, &reuse_addr));
  int family = fam == 4 ? AF_INET : AF_INET6;
  int fd = device_socket(env, family, SOCK_DGRAM, device, "socket(SOCK_DGRAM)");
  if (fd < 0) return NULL;
  int one = 1;
  if (reuse_addr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (!bind_local(env, fd, family, address, port > 0 ? (int)port : 0, address)) return NULL;
  napi_create_int32(env, fd, &result);
  return result;
}

/* setTtl(fd, {ttl?, minTtl?}) on an existing IPv4 or IPv6 socket (a listener, say). */
napi_value set_ttl_js(napi_env env, napi_callback_info info) {
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
napi_value set_md5_key(napi_env env, napi_callback_info info) {
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
napi_value attach_filter_js(napi_env env, napi_callback_info info) {
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
napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t fd;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &fd) || fd < 0) THROW_TYPE(env, "fd must be a non-negative integer");
  if (close((int)fd) < 0) throw_errno(env, errno, "close", "");
  return NULL;
}
