/*
 * lodestone_native: the few socket operations Node cannot do by itself.
 *
 *  - AF_PACKET raw sockets bound to one interface and ethertype (ARP/NDP responders), watched with
 *    uv_poll on Node's own loop so received frames arrive as ordinary JS callbacks;
 *  - TCP sockets with an RFC 2385 MD5 key, TTL and GTSM minimum TTL (BGP), handed to JS as fds;
 *  - TCP and UDP sockets bound to a device (SO_BINDTODEVICE: a VRF) before they bind an address;
 *  - classic BPF filters on any socket fd (TTL 255 on BFD's UDP sockets);
 *  - real-time scheduling for the calling thread (the BFD worker thread);
 *  - the layer 2 heartbeat's socket and thread (heartbeat_thread.c), and its MAC (hmac.c);
 *  - giving the C heap's free pages back to the kernel (c_heap.c).
 *
 * Plain C on N-API v8, no dependencies but Node itself (the SHA-256 of the OpenSSL Node exports to addons,
 * for the heartbeat's MAC). Every failing system call throws an Error whose `code` is the
 * errno name and whose message names the call (and the interface, for packet sockets). The JS side
 * (native/index.ts) owns all policy; this code only translates arguments and system calls. This file
 * registers the exports; common.c, packet_socket.c, inet_socket.c,
 * thread.c, heartbeat_thread.c, hmac.c and c_heap.c hold them.
 */
#include "lodestone_native.h"

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
      {"packetIgnoreOutgoing", NULL, packet_ignore_outgoing, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSocket", NULL, tcp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpSocket", NULL, udp_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTtl", NULL, set_ttl_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMd5Key", NULL, set_md5_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attachFilter", NULL, attach_filter_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreadRealtime", NULL, set_thread_realtime, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconStart", NULL, beacon_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconSet", NULL, beacon_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconSendNow", NULL, beacon_send_now, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconListen", NULL, beacon_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconTake", NULL, beacon_take, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconLearn", NULL, beacon_learn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconForget", NULL, beacon_forget, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconHeard", NULL, beacon_heard, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconStats", NULL, beacon_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"beaconStop", NULL, beacon_stop_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmacSha256Verify", NULL, hmac_sha256_verify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trimCHeap", NULL, trim_c_heap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
