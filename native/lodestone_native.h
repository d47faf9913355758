/* Shared by the addon's source files: includes, error throwing, argument reading, the exported calls. */
#ifndef LODESTONE_NATIVE_H
#define LODESTONE_NATIVE_H
#define NAPI_VERSION 8
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

/* common.c */
const char *errno_name(int err);
void throw_errno(napi_env env, int err, const char *call, const char *subject);
bool get_int(napi_env env, napi_value v, int64_t *out);
bool get_string(napi_env env, napi_value v, char *buf, size_t size);
bool get_buffer(napi_env env, napi_value v, void **data, size_t *len);
bool is_nullish(napi_env env, napi_value v);
bool get_optional_int(napi_env env, napi_value obj, const char *name, int64_t *out, int64_t lo, int64_t hi);
struct sock_filter *read_program(napi_env env, napi_value arr, uint32_t *count);
int attach_filter(int fd, struct sock_filter *prog, uint32_t count);

/* packet_socket.c */
napi_value packet_open(napi_env env, napi_callback_info info);
napi_value packet_ifindex(napi_env env, napi_callback_info info);
napi_value packet_send(napi_env env, napi_callback_info info);
napi_value packet_membership(napi_env env, napi_callback_info info);
napi_value packet_set_filter(napi_env env, napi_callback_info info);
napi_value packet_start(napi_env env, napi_callback_info info);
napi_value packet_ref(napi_env env, napi_callback_info info);
napi_value packet_stop_js(napi_env env, napi_callback_info info);
napi_value packet_close_js(napi_env env, napi_callback_info info);
napi_value packet_ignore_outgoing(napi_env env, napi_callback_info info);

/* inet_socket.c */
int parse_address(const char *text, int family, struct sockaddr_storage *ss, socklen_t *len, int port);
int device_socket(napi_env env, int family, int type, const char *device, const char *call);
bool bind_local(napi_env env, int fd, int family, const char *address, int port, const char *shown);
napi_value tcp_socket(napi_env env, napi_callback_info info);
napi_value udp_socket(napi_env env, napi_callback_info info);
napi_value set_ttl_js(napi_env env, napi_callback_info info);
napi_value set_md5_key(napi_env env, napi_callback_info info);
napi_value attach_filter_js(napi_env env, napi_callback_info info);
napi_value close_fd(napi_env env, napi_callback_info info);

/* thread.c */
napi_value set_thread_realtime(napi_env env, napi_callback_info info);

/* hmac.c */
#define HMAC_SHA256_LENGTH 32
void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *mac);
bool hmac_sha256_matches(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, const uint8_t *mac);
napi_value hmac_sha256_verify(napi_env env, napi_callback_info info);
napi_value trim_c_heap(napi_env env, napi_callback_info info);

/* heartbeat_thread.c */
napi_value beacon_start(napi_env env, napi_callback_info info);
napi_value beacon_set(napi_env env, napi_callback_info info);
napi_value beacon_send_now(napi_env env, napi_callback_info info);
napi_value beacon_listen(napi_env env, napi_callback_info info);
napi_value beacon_take(napi_env env, napi_callback_info info);
napi_value beacon_learn(napi_env env, napi_callback_info info);
napi_value beacon_forget(napi_env env, napi_callback_info info);
napi_value beacon_heard(napi_env env, napi_callback_info info);
napi_value beacon_stats(napi_env env, napi_callback_info info);
napi_value beacon_stop_js(napi_env env, napi_callback_info info);

#endif
