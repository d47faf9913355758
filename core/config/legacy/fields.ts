/**
 * Typed reading of the legacy YAML tree, as strict as MetalLB's go-yaml v2 `UnmarshalStrict`:
 * unknown keys, and values of the wrong type, are problems. Every reader records its problems on the
 * shared list with the field's path and returns undefined, so one pass reports everything at once.
 */
import type { LegacyNode } from "./tree";

export interface Problem {
  field: string;
  message: string;
}

export class Reader {
  readonly problems: Problem[] = [];

  report(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /**
   * The entries of a mapping whose keys must all be in `known`. Null is an empty mapping (the
   * field keeps its zero value). Unknown keys are reported and left out.
   */
  record<K extends string>(node: LegacyNode, path: string, known: readonly K[]): Map<K, LegacyNode> | undefined {
    if (node.kind === "null") return new Map();
    if (node.kind !== "map") return this.wrongType(path, "a mapping", node);
    const out = new Map<K, LegacyNode>();
    for (const { key, value } of node.entries) {
      if ((known as readonly string[]).includes(key)) out.set(key as K, value);
      else this.report(join(path, key.length > 120 ? `${key.slice(0, 120)}...` : key), `unknown field (expected one of: ${known.join(", ")})`);
    }
    return out;
  }

  /** A mapping of strings to strings (match-labels, bgp-communities), in the order written. */
  stringMap(node: LegacyNode | undefined, path: string): [string, string][] | undefined {
    if (node === undefined || node.kind === "null") return undefined;
    if (node.kind !== "map") return this.wrongType(path, "a mapping of strings", node);
    const out: [string, string][] = [];
    for (const { key, value } of node.entries) {
      const v = this.string(value, join(path, key));
      if (v !== undefined) out.push([key, v]);
    }
    return out;
  }

  /** The items of a list; null or absent is undefined (no list). */
  list(node: LegacyNode | undefined, path: string): LegacyNode[] | undefined {
    if (node === undefined || node.kind === "null") return undefined;
    if (node.kind !== "seq") return this.wrongType(path, "a list", node);
    return node.items;
  }

  /** Any scalar's text (go-yaml puts an unquoted `123` or `true` into a string field as text). */
  string(node: LegacyNode | undefined, path: string): string | undefined {
    if (node === undefined || node.kind === "null") return undefined;
    if (node.kind !== "scalar") return this.wrongType(path, "a string", node);
    return node.text;
  }

  stringList(node: LegacyNode | undefined, path: string): string[] | undefined {
    const items = this.list(node, path);
    if (!items) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      // A null list item is an empty string in Go; keep it so the semantic checks reject it.
      const s = item.kind === "null" ? "" : this.string(item, `${path}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** YAML 1.1 booleans, as go-yaml v2 reads them; quoted text is a string, not a boolean. */
  bool(node: LegacyNode | undefined, path: string): boolean | undefined {
    if (node === undefined || node.kind === "null") return undefined;
    if (node.kind === "scalar" && !node.quoted) {
      if (TRUE_WORDS.has(node.text)) return true;
      if (FALSE_WORDS.has(node.text)) return false;
    }
    return this.wrongType(path, "a boolean", node);
  }

  /** A plain integer scalar (decimal, 0x hex, 0o or leading-0 octal, 0b binary) within [min, max]. */
  integer(node: LegacyNode | undefined, path: string, min: number, max: number): number | undefined {
    if (node === undefined || node.kind === "null") return undefined;
    const value = node.kind === "scalar" && !node.quoted ? parseInteger(node.text) : undefined;
    if (value === undefined || value < BigInt(min) || value > BigInt(max)) {
      return this.wrongType(path, `an integer between ${min} and ${max}`, node);
    }
    return Number(value);
  }

  private wrongType(path: string, want: string, node: LegacyNode): undefined {
    this.report(path, `want ${want}, got ${describe(node)}`);
    return undefined;
  }
}

const TRUE_WORDS = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const FALSE_WORDS = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);

function parseInteger(text: string): bigint | undefined {
  const m = /^([-+]?)(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] === "-" ? -1n : 1n;
  let digits = (m[2] ?? "").replace(/_/g, "");
  if (/^0[0-7]/.test(digits)) digits = "0o" + digits.slice(1);
  if (digits === "0b" || digits === "0x" || digits === "0o") return undefined;
  return sign * BigInt(digits);
}

function describe(node: LegacyNode): string {
  switch (node.kind) {
    case "null":
      return "nothing";
    case "scalar":
      return JSON.stringify(node.text.length > 60 ? node.text.slice(0, 57) + "..." : node.text);
    case "seq":
      return "a list";
    case "map":
      return "a mapping";
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
