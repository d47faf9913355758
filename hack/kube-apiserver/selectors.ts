/**
 * Label and field selectors as kube-apiserver parses them (labels.Parse / fields.ParseSelector).
 * Error messages follow the recorded ones, e.g. "unable to parse requirement: found '=', expected: identifier"
 * (recordings/02-crud.md 3e).
 */

export type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

type TokKind = "id" | "=" | "==" | "!=" | "!" | "," | "(" | ")" | "in" | "notin" | ">" | "<" | "eos";
interface Tok {
  kind: TokKind;
  text: string;
}

const SPECIAL = new Set(["=", "!", ",", "(", ")", ">", "<", " ", "\t", "\n", "\r"]);

function lex(input: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      toks.push({ kind: two, text: two });
      i += 2;
      continue;
    }
    if (c === "=" || c === "!" || c === "," || c === "(" || c === ")" || c === ">" || c === "<") {
      toks.push({ kind: c, text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j] ?? "")) j++;
    const word = input.slice(i, j);
    toks.push({ kind: word === "in" ? "in" : word === "notin" ? "notin" : "id", text: word });
    i = j;
  }
  toks.push({ kind: "eos", text: "" });
  return toks;
}

export class SelectorError extends Error {}

/** Where a key or value is expected, `in` and `notin` are plain words, as in labels.Parse (its Values context). */
const isValue = (t: Tok): boolean => t.kind === "id" || t.kind === "in" || t.kind === "notin";

/** Parses a label selector string; throws SelectorError with the apiserver's wording. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const toks = lex(input);
  let pos = 0;
  const peek = (): Tok => toks[pos] ?? { kind: "eos", text: "" };
  const next = (): Tok => toks[pos++] ?? { kind: "eos", text: "" };
  const fail = (t: Tok, expected: string): never => {
    throw new SelectorError(`unable to parse requirement: found '${t.text}', expected: ${expected}`);
  };
  const reqs: LabelRequirement[] = [];
  if (peek().kind === "eos") return reqs;
  for (;;) {
    let t = next();
    let negate = false;
    if (t.kind === "!") {
      negate = true;
      t = next();
    }
    // The key is read in the Values context too (labels.Parse's parseKeyAndInferOperator): `in=a` is a key.
    if (!isValue(t)) fail(t, "identifier");
    const key = t.text;
    validateLabelKey(key);
    const after = peek();
    if (negate) {
      if (after.kind !== "," && after.kind !== "eos") fail(after, "',' or 'end of string'");
      reqs.push({ key, op: "!", values: [] });
    } else if (after.kind === "," || after.kind === "eos") {
      reqs.push({ key, op: "exists", values: [] });
    } else {
      const opTok = next();
      if (opTok.kind === "=" || opTok.kind === "==" || opTok.kind === "!=") {
        const v = peek();
        let value = "";
        if (isValue(v)) value = next().text;
        else if (v.kind !== "," && v.kind !== "eos") fail(v, "identifier");
        reqs.push({ key, op: opTok.kind === "!=" ? "!=" : "=", values: [value] });
      } else if (opTok.kind === "in" || opTok.kind === "notin") {
        const open = next();
        if (open.kind !== "(") fail(open, "'('");
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (isValue(v)) values.push(v.text);
          else if (v.kind === ")" && values.length === 0) break;
          else fail(v, "identifier");
          const sep = next();
          if (sep.kind === ")") break;
          if (sep.kind !== ",") fail(sep, "',' or ')'");
        }
        reqs.push({ key, op: opTok.kind, values });
      } else if (opTok.kind === ">" || opTok.kind === "<") {
        const v = next();
        if (v.kind !== "id" || !/^-?\d+$/.test(v.text)) fail(v, "integer");
        reqs.push({ key, op: opTok.kind === ">" ? "gt" : "lt", values: [v.text] });
      } else {
        fail(opTok, "'=', '!=', '==', 'in', notin'");
      }
    }
    const sep = next();
    if (sep.kind === "eos") break;
    if (sep.kind !== ",") fail(sep, "',' or 'end of string'");
  }
  return reqs;
}

function validateLabelKey(key: string): void {
  const slash = key.indexOf("/");
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) || name.length > 63) {
    throw new SelectorError(
      `unable to parse requirement: values[0][${key}]: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  }
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key] : undefined;
    switch (r.op) {
      case "=":
        return has && v === r.values[0];
      case "!=":
        return !has || v !== r.values[0];
      case "in":
        return has && r.values.includes(v ?? "");
      case "notin":
        return !has || !r.values.includes(v ?? "");
      case "exists":
        return has;
      case "!":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(v ?? "")) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === "gt" ? n > bound : n < bound;
      }
    }
    return false;
  });
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Parses `a=b,c!=d,e==f` (backslash escapes as fields.ParseSelector allows). */
export function parseFieldSelector(input: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (input.trim() === "") return out;
  for (const part of splitUnescaped(input, ",")) {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${input}'; can't understand '${part}'`);
    out.push({ field: (m[1] ?? "").trim(), value: unescape(m[3] ?? ""), negate: m[2] === "!=" });
  }
  return out;
}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (c === "\\" && i + 1 < s.length) {
      cur += c + (s[i + 1] ?? "");
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, "$1");

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  return reqs.every((r) => ((fields[r.field] ?? "") === r.value) !== r.negate);
}
