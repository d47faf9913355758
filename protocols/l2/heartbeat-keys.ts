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

/** After a new key is seen, this node keeps signing with the old one this long (default 30 s). */
export const DEFAULT_SIGN_SWITCH_MS = 30_000;
/** ...and keeps accepting the old one this long after it saw the change (default 60 s). */
export const DEFAULT_OLD_KEY_RETENTION_MS = 60_000;

export interface KeyRingOptions {
  readonly switchAfterMs?: number;
  readonly retainOldMs?: number;
}

/**
 * The keys one speaker signs and accepts heartbeats with, across a rotation of the Secret that
 * replaces `secretkey` in place. Speakers see the new Secret at different moments (watch lag), so a
 * node that switched at once would be refused by peers that have not seen it yet, and declared dead
 * (double announcements). Instead, on seeing a new key a node accepts it at once, keeps signing with
 * the old key for `switchAfterMs` (every peer sees the Secret well within that), then signs with the
 * new one, and accepts the old key until `retainOldMs` after it saw the change (covering peers that
 * saw it up to retainOldMs - switchAfterMs later and so switch later). A `previouskey` in the Secret
 * is accepted for as long as it is there. Pure: time comes from the clock, read on each call.
 */
export class HeartbeatKeyRing {
  private signing: Buffer;
  private pending: { readonly key: Buffer; readonly since: number } | undefined;
  private retired: { readonly key: Buffer; readonly until: number }[] = [];
  private extra: readonly Buffer[];
  private accepted: { readonly keys: readonly Buffer[]; readonly until: number } | undefined;
  private readonly switchAfterMs: number;
  private readonly retainOldMs: number;

  /** @param keys from heartbeatKeysFromSecret: the signing key first, then `previouskey` if any */
  constructor(
    private readonly clock: { now(): number },
    keys: readonly Buffer[],
    options: KeyRingOptions = {},
  ) {
    const [first, ...rest] = keys;
    if (first === undefined) throw new Error("a key ring needs at least one key");
    this.signing = first;
    this.extra = rest;
    this.switchAfterMs = options.switchAfterMs ?? DEFAULT_SIGN_SWITCH_MS;
    this.retainOldMs = Math.max(options.retainOldMs ?? DEFAULT_OLD_KEY_RETENTION_MS, this.switchAfterMs);
  }

  /** A new reading of the Secret (same shape as the constructor's `keys`); an empty list is ignored. */
  update(keys: readonly Buffer[]): void {
    const [next, ...rest] = keys;
    if (next === undefined) return;
    this.accepted = undefined;
    this.settle();
    this.extra = rest;
    if (this.pending?.key.equals(next)) return;
    // A key that was pending and is replaced may already sign a restarted peer's heartbeats: it stays
    // accepted as a retired key.
    if (this.pending) this.retired.push({ key: this.pending.key, until: this.clock.now() + this.retainOldMs });
    // Rotated back to the key we sign with: nothing left to switch to. Otherwise the new key waits
    // (a newer one replacing a pending one starts the wait over).
    this.pending = next.equals(this.signing) ? undefined : { key: next, since: this.clock.now() };
  }

  /** The key heartbeats are signed with now. */
  signingKey(): Buffer {
    this.settle();
    return this.signing;
  }

  /**
   * Every key a received heartbeat may be signed with now (signing key first). Read for each datagram, so
   * the list is kept until it can change: an update, the signing key's switch, a retired key's end.
   */
  acceptedKeys(): readonly Buffer[] {
    if (this.accepted && this.clock.now() < this.accepted.until) return this.accepted.keys;
    this.settle();
    const out: Buffer[] = [];
    const add = (k: Buffer): void => void (out.some(o => o.equals(k)) || out.push(k));
    add(this.signing);
    if (this.pending) add(this.pending.key);
    for (const k of this.extra) add(k);
    for (const r of this.retired) add(r.key);
    const until = Math.min(this.pending ? this.pending.since + this.switchAfterMs : Infinity, ...this.retired.map(r => r.until));
    this.accepted = { keys: out, until };
    return out;
  }

  private settle(): void {
    const now = this.clock.now();
    if (this.pending && now >= this.pending.since + this.switchAfterMs) {
      this.retired.push({ key: this.signing, until: this.pending.since + this.retainOldMs });
      this.signing = this.pending.key;
      this.pending = undefined;
    }
    this.retired = this.retired.filter(r => now < r.until && !r.key.equals(this.signing));
  }
}
