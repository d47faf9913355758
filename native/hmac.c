/*
 * HMAC-SHA256 (RFC 2104) for the heartbeat (protocols/l2/heartbeat.ts): the sending thread signs with it
 * (heartbeat_thread.c) and checks the repeats it takes; the main thread checks the rest with it (hmacSha256Verify), 13 times a second
 * per peer, where node:crypto's createHmac costs tens of microseconds of interpreted JavaScript each.
 * SHA-256 is the OpenSSL Node exports to addons (its low-level calls: a context on the stack, no heap),
 * so the addon carries no crypto of its own.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lodestone_native.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define HMAC_BLOCK 64

/* One of HMAC's two passes: SHA-256 of the key XOR'd into a block of `pad_byte`, then `data`. */
static void keyed_pass(const uint8_t *key, size_t key_len, uint8_t pad_byte, const uint8_t *data, size_t len, uint8_t *out) {
  uint8_t block[HMAC_BLOCK];
  SHA256_CTX ctx;
  memset(block, pad_byte, sizeof block);
  for (size_t i = 0; i < key_len; i++) block[i] ^= key[i];
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, block, sizeof block);
  SHA256_Update(&ctx, data, len);
  SHA256_Final(out, &ctx);
}

void hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *mac) {
  uint8_t hashed_key[HMAC_SHA256_LENGTH];
  uint8_t inner[HMAC_SHA256_LENGTH];
  if (key_len > HMAC_BLOCK) {
    /* A key longer than a block is hashed first (RFC 2104 section 2). */
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, key, key_len);
    SHA256_Final(hashed_key, &ctx);
    key = hashed_key;
    key_len = sizeof hashed_key;
  }
  keyed_pass(key, key_len, 0x36, data, len, inner);
  keyed_pass(key, key_len, 0x5c, inner, sizeof inner, mac);
}

/* Whether `mac` (HMAC_SHA256_LENGTH bytes) is HMAC-SHA256 of `data` under `key`, compared in constant time. */
bool hmac_sha256_matches(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, const uint8_t *mac) {
  uint8_t expected[HMAC_SHA256_LENGTH];
  hmac_sha256(key, key_len, data, len, expected);
  return CRYPTO_memcmp(expected, mac, HMAC_SHA256_LENGTH) == 0;
}

/* hmacSha256Verify(body, mac, keys): whether `mac` is HMAC-SHA256 of `body` under one of `keys` (compared in constant time). */
napi_value hmac_sha256_verify(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *body, *mac;
  size_t body_len, mac_len;
  bool is_array = false;
  uint32_t nkeys = 0;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !get_buffer(env, argv[0], &body, &body_len)) THROW_TYPE(env, "body must be a Buffer");
  if (!get_buffer(env, argv[1], &mac, &mac_len)) THROW_TYPE(env, "mac must be a Buffer");
  if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array) THROW_TYPE(env, "keys must be an array of Buffers");
  CHECK_NAPI(env, napi_get_array_length(env, argv[2], &nkeys));
  bool ok = false;
  for (uint32_t i = 0; i < nkeys && !ok; i++) {
    napi_value k;
    void *key;
    size_t key_len;
    CHECK_NAPI(env, napi_get_element(env, argv[2], i, &k));
    if (!get_buffer(env, k, &key, &key_len)) THROW_TYPE(env, "keys must be an array of Buffers");
    ok = mac_len == HMAC_SHA256_LENGTH && hmac_sha256_matches(key, key_len, body, body_len, mac);
  }
  napi_value result;
  CHECK_NAPI(env, napi_get_boolean(env, ok, &result));
  return result;
}
