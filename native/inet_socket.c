/* TCP sockets with MD5 keys (RFC 2385), TTL and minimum TTL (GTSM); BPF filters on any socket fd. */
#include "lodestone_native.h"

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

/* tcpSocket(family: 4 | 6, opts: {localAddress?, localPort?, ttl?, minTtl?}) -> fd
 * A non-blocking, close-on-exec TCP socket, bound when a local address or port is given. */
napi_value tcp_socket(napi_env env, napi_callback_info info) {
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
