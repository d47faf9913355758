/**
 * One copy of each short string value in the objects a process keeps from its watches.
 *
 * JSON.parse gives every string value of 10 characters or more a fresh copy (V8 internalizes keys
 * and values of up to 9 characters: `%DebugPrint` under `--allow-natives-syntax` shows which), so
 * 10,000 Services hold 10,000 copies each of "LoadBalancer", "SingleStack", their conditions' types,
 * reasons and messages, and of the creation and transition times that Services created in the same
 * second share. Heap snapshots of the controller and the
 * speaker at thousands of Services showed these copies by the thousand (docs/benchmarks.md, the
 * controller at 10,000 Services). Sharing them at the watch edge, where each object is cut anyway
 * (kube/without-bookkeeping.ts, speaker/slim-object.ts), makes them one copy each.
 *
 * Values under keys that name one object or one Service (UNIQUE_KEYS: uid, name, resourceVersion,
 * the Service's addresses) are left alone: each would sit in the table once, for nothing (in a heap
 * snapshot at 10,000 Services such values made the table 1.75 MiB). Values shorter than 10
 * characters are already shared and left alone. Values longer than `maxLength` (certificates,
 * last-applied JSON) are too: they are rarely repeated and the table would pin them. The table is
 * bounded: when it holds `maxEntries` values it starts over, which only costs copies that are no
 * longer shared.
 */
/** Keys whose values (a string, or an array of strings) are one object's own. */
const UNIQUE_KEYS: ReadonlySet<string> = new Set(["uid", "name", "resourceVersion", "generateName", "clusterIP", "clusterIPs", "loadBalancerIP", "ip", "podIP", "podIPs"]);

/** JSON.parse internalizes string values shorter than this (V8 in Node 20 and 24). */
const SHARED_BY_V8 = 10;

export class StringTable {
  private readonly table = new Map<string, string>();

  constructor(
    private readonly maxEntries = 65_536,
    private readonly maxLength = 64,
  ) {}

  /** Replaces, in place, every string value within `value` (arrays and objects, any depth) by the table's copy; returns `value`. */
  share<T>(value: T): T {
    this.walk(value, 0);
    return value;
  }

  /** How many distinct values the table holds. */
  get size(): number {
    return this.table.size;
  }

  private intern(s: string): string {
    if (s.length < SHARED_BY_V8 || s.length > this.maxLength) return s;
    const known = this.table.get(s);
    if (known !== undefined) return known;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(s, s);
    return s;
  }

  private walk(value: unknown, depth: number): void {
    // Kubernetes objects are a dozen levels deep at most; a cycle or a pathological object stops here.
    if (depth > 64 || typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === "string") value[i] = this.intern(v);
        else this.walk(v, depth + 1);
      }
      return;
    }
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (UNIQUE_KEYS.has(k) && (typeof v === "string" || (Array.isArray(v) && v.every(e => typeof e === "string")))) continue;
      if (typeof v === "string") o[k] = this.intern(v);
      else this.walk(v, depth + 1);
    }
  }
}
