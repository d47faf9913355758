{
  "targets": [
    {
      "target_name": "lodestone_native",
      "sources": ["lodestone_native.c", "common.c", "packet_socket.c", "inet_socket.c", "thread.c", "heartbeat_thread.c", "hmac.c", "c_heap.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
