/**
 * Heartbeat keys from a Kubernetes Secret. MetalLB's manifests create the Secret `memberlist` with
 * a random `secretkey` for memberlist encryption; reading the same Secret and key lets Lodestone
 * replace MetalLB without a new Secret. An optional `previouskey` is still accepted on receive
 * while a rotation rolls out (add it everywhere first, then swap).
 */
import { MIN_KEY_BYTES } from "./heartbeat";

export const HEARTBEAT_SECRET_NAME = "memberlist";
export const CURRENT_KEY_FIELD = "secretkey";
export const PREVIOUS_KEY_FIELD = "previouskey";

export interface SecretLike {
  readonly data?: Readonly<Record<string, string>>;
}

export type HeartbeatKeys =
  | { readonly ok: true; readonly keys: readonly Buffer[] }
  | { readonly ok: false; readonly message: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Signing key first, then the previous one if present. `data` values are base64 as in the API. */
export function heartbeatKeysFromSecret(secret: SecretLike): HeartbeatKeys {
  const keys: Buffer[] = [];
  for (const field of [CURRENT_KEY_FIELD, PREVIOUS_KEY_FIELD]) {
    const text = secret.data?.[field];
    if (text === undefined) {
      if (field === CURRENT_KEY_FIELD) return { ok: false, message: `Secret has no data.${CURRENT_KEY_FIELD}` };
      continue;
    }
    if (text.length % 4 !== 0 || !BASE64.test(text)) return { ok: false, message: `data.${field} is not base64` };
    const key = Buffer.from(text, "base64");
    if (key.length < MIN_KEY_BYTES) {
      return { ok: false, message: `data.${field} must decode to at least ${MIN_KEY_BYTES} bytes, got ${key.length}` };
    }
    keys.push(key);
  }
  return { ok: true, keys };
}
