/**
 * The legacy `config` text as a tree of untyped YAML nodes.
 *
 * MetalLB read this text with go-yaml v2 in strict mode, straight into typed Go structs. Two things
 * of that reader matter for a faithful conversion and are lost by an ordinary YAML load:
 * - a string field takes a scalar's text whatever it looks like (`password: 12345` is "12345",
 *   `name: on` is "on"), while a boolean field takes YAML 1.1 words (`yes`, `off`);
 * - a quoted scalar is always a string, so `my-asn: "64500"` was an error.
 * So the text is loaded with the failsafe schema (every scalar stays text) and each node keeps
 * whether it was quoted; the field decoders (fields.ts) give scalars their type by field.
 */
import { Alias, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar, type Document, type Node } from "yaml";

export type LegacyNode =
  | { kind: "null" }
  | { kind: "scalar"; text: string; quoted: boolean }
  | { kind: "seq"; items: LegacyNode[] }
  | { kind: "map"; entries: { key: string; value: LegacyNode }[] };

export type TreeResult = { ok: true; root: LegacyNode } | { ok: false; message: string };

const STRING_TAG = "tag:yaml.org,2002:str";
/** Plain scalars go-yaml v2 resolves to null, which leaves a Go field at its zero value. */
const NULL_WORDS = new Set(["", "~", "null", "Null", "NULL"]);
/** Deeper than any real configuration; stops alias cycles and pathological nesting. */
const MAX_DEPTH = 64;
/**
 * More values than any real configuration holds. Aliases are expanded, so without a budget a few
 * lines of nested aliases ("billion laughs") would expand to billions of nodes.
 */
const MAX_NODES = 100_000;

/** Parses the `config` text. An empty text is an empty configuration, as it was for MetalLB. */
export function parseLegacyTree(text: string): TreeResult {
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { schema: "failsafe", lineCounter, uniqueKeys: true }) as Document.Parsed[];
  } catch (e) {
    return { ok: false, message: `could not parse config: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!Array.isArray(docs)) return { ok: false, message: "could not parse config: not a YAML stream" };
  const first = docs[0];
  if (!first) return { ok: true, root: { kind: "null" } };
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : "";
      return { ok: false, message: `could not parse config: ${where}${firstLine(error.message)}` };
    }
  }
  if (docs.length > 1) return { ok: false, message: "could not parse config: it holds several YAML documents; MetalLB read only one" };
  const budget = { nodes: MAX_NODES };
  const root = toTree(first, first.contents, 0, budget);
  if (root) return { ok: true, root };
  return { ok: false, message: `could not parse config: more than ${MAX_DEPTH} levels of nesting or ${MAX_NODES} values (after expanding aliases)` };
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.replace(/ at line \d+, column \d+:$/, "") ?? message;
}

/** Undefined when the nesting is too deep (or an alias loops) or the tree too large. */
function toTree(doc: Document.Parsed, node: Node | null, depth: number, budget: { nodes: number }): LegacyNode | undefined {
  if (depth > MAX_DEPTH || --budget.nodes < 0) return undefined;
  if (node === null) return { kind: "null" };
  if (isAlias(node)) return toTree(doc, resolveAlias(doc, node), depth + 1, budget);
  if (isScalar(node)) return scalar(node);
  if (isSeq(node)) {
    const items: LegacyNode[] = [];
    for (const item of node.items) {
      const t = toTree(doc, item as Node | null, depth + 1, budget);
      if (!t) return undefined;
      items.push(t);
    }
    return { kind: "seq", items };
  }
  if (isMap(node)) {
    const entries: { key: string; value: LegacyNode }[] = [];
    for (const pair of node.items) {
      const key = toTree(doc, pair.key as Node | null, depth + 1, budget);
      const value = toTree(doc, pair.value as Node | null, depth + 1, budget);
      if (!key || !value) return undefined;
      // Keys of Go structs and of map[string]string are strings; a complex key can never match one.
      entries.push({ key: key.kind === "scalar" ? key.text : key.kind === "null" ? "" : `<${key.kind}>`, value });
    }
    return { kind: "map", entries };
  }
  return { kind: "null" };
}

/** Alias.resolve searches the whole document; an alias bomb would repeat that search per use. */
const resolved = new WeakMap<Alias, Node | null>();

function resolveAlias(doc: Document.Parsed, alias: Alias): Node | null {
  let target = resolved.get(alias);
  if (target === undefined) {
    target = (alias.resolve(doc) ?? null) as Node | null;
    resolved.set(alias, target);
  }
  return target;
}

function scalar(node: Scalar): LegacyNode {
  const text = typeof node.value === "string" ? node.value : String(node.value);
  const quoted = node.type !== Scalar.PLAIN || node.tag === STRING_TAG;
  if (!quoted && NULL_WORDS.has(text)) return { kind: "null" };
  return { kind: "scalar", text, quoted };
}
