/**
 * `lodestone convert -f FILE`: MetalLB's legacy `config` ConfigMap (v0.7-v0.12) to metallb.io
 * resources, printed as multi-document YAML ready for `kubectl apply -f -`.
 *
 * Exit codes: 0 the resources are on stdout; 1 the configuration has problems (one line each on
 * stderr, nothing on stdout, so a pipe into kubectl applies nothing); 2 the command could not run
 * (bad arguments, unreadable file, YAML syntax error with file:line:column).
 *
 * The output is checked twice: by the converter against the legacy parser's rules, then by the same
 * parseConfig the webhooks use, so what convert prints is what the cluster accepts.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseAllDocuments, stringify } from "yaml";
import { convertLegacyConfigMap, type ConvertedObject } from "../core/config/legacy/convert";
import { parseConfig } from "../core/config/parse";
import { formatProblem, type ConfigProblem } from "../core/config/types";
import { flagsOrExit, lastString, readFlags, type FlagSpec } from "./args";
import { readStdin, STDIN_NAME, yamlErrorLine } from "./input";
import type { CommandIO } from "./main";

/** The part of parseConfig's contract that convert relies on. */
export type ConfigValidator = (input: { namespace: string; objects: readonly unknown[] }) => { problems: ConfigProblem[]; warnings: string[] };

export interface ConvertDeps {
  readText: (file: string) => Promise<string>;
  /** Loaded on use; undefined skips the second check. */
  loadValidator: () => Promise<ConfigValidator | undefined>;
}

export const CONVERT_USAGE = `usage: lodestone convert -f FILE
  -f, --filename FILE    the legacy MetalLB ConfigMap, or the text of its config key; - for stdin
  -h, --help             this help
exit 0 objects printed, 1 problems or empty input, 2 usage error or unreadable input`;

export const CONVERT_FLAGS: Record<string, FlagSpec> = { filename: { type: "string", short: "f" } };

export async function convertCommand(args: string[], io: CommandIO): Promise<number> {
  return runConvert(args, io, defaultDeps);
}

export async function runConvert(args: string[], io: CommandIO, deps: ConvertDeps): Promise<number> {
  const values = flagsOrExit("convert", CONVERT_USAGE, readFlags(args, CONVERT_FLAGS), io);
  if (typeof values === "number") return values;
  const file = lastString(values["filename"]);
  if (file === undefined) {
    io.err("lodestone convert: missing -f FILE");
    io.err(CONVERT_USAGE);
    return 2;
  }
  const name = file === "-" ? STDIN_NAME : file;
  let text: string;
  try {
    text = await deps.readText(file);
  } catch (e) {
    io.err(`${name}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))}`);
    return 2;
  }
  if (isBlank(text)) {
    io.err(`lodestone convert: ${name} is empty: nothing to convert`);
    return 1;
  }
  const input = pickInputSafely(name, text);
  if (!input.ok) {
    io.err(input.message);
    return 2;
  }

  const conversion = convertLegacyConfigMap(input.value);
  if (conversion.problems.length > 0) return reportProblems(io, conversion.problems);

  const validate = await deps.loadValidator();
  if (validate) {
    // Round-trip through JSON so the validator sees exactly what kubectl would send.
    const objects = conversion.objects.map(o => JSON.parse(JSON.stringify(o)) as unknown);
    const result = validate({ namespace: conversion.namespace, objects });
    if (result.problems.length > 0) return reportProblems(io, result.problems);
    for (const w of result.warnings) io.err(`warning: ${w}`);
  }
  if (conversion.objects.length === 0) io.err("warning: the configuration defines nothing; no resources to print");
  else io.out(formatObjects(conversion.objects));
  return 0;
}

/** Multi-document YAML, `---` between documents. Quoted as YAML 1.1 readers (kubectl) need. */
export function formatObjects(objects: readonly ConvertedObject[]): string {
  return objects.map(o => stringify(o, { version: "1.1" }).trimEnd()).join("\n---\n");
}

function reportProblems(io: CommandIO, problems: readonly ConfigProblem[]): number {
  for (const p of problems) io.err(formatProblem(p));
  return 1;
}

/** Whether a YAML text holds nothing but blank lines, comments and document markers. */
const isBlank = (text: string): boolean => text.split("\n").every(line => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*$/.test(line));

type Picked = { ok: true; value: unknown } | { ok: false; message: string };

function pickInputSafely(file: string, text: string): Picked {
  try {
    return pickInput(file, text);
  } catch (e) {
    // toJS refuses alias bombs by throwing; any such refusal is a file we cannot use.
    return { ok: false, message: `${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * What to convert from the file: its one ConfigMap with a `config` key (other documents, such as the
 * rest of an old MetalLB manifest, are skipped; a `kind: List` is looked into), or, when the file holds
 * no Kubernetes object at all, the file itself as the text of the `config` key.
 */
function pickInput(file: string, text: string): Picked {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) return { ok: false, message: `${file}: not a YAML stream` };
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) return { ok: false, message: yamlErrorLine(file, error) };
  }
  const values: unknown[] = docs.map(d => d.toJS({ maxAliasCount: 100 }) as unknown).filter(v => v !== null && v !== undefined);
  const objects = values.flatMap(v => (isRecord(v) && v.kind === "List" && Array.isArray(v.items) ? (v.items as unknown[]) : [v]));
  const configMaps = objects.filter(o => isRecord(o) && o.kind === "ConfigMap");
  const withConfig = configMaps.filter(o => isRecord(o) && isRecord(o.data) && "config" in o.data);
  if (withConfig.length === 1) return { ok: true, value: withConfig[0] };
  if (withConfig.length > 1) return { ok: false, message: `${file}: holds ${withConfig.length} ConfigMaps with a config key; convert one at a time` };
  if (configMaps.length === 1) return { ok: true, value: configMaps[0] };
  const onlyRawConfig = objects.length <= 1 && objects.every(o => isRecord(o) && !("kind" in o) && !("apiVersion" in o));
  if (onlyRawConfig) return { ok: true, value: text };
  return { ok: false, message: `${file}: no ConfigMap with a config key found (want MetalLB's legacy config ConfigMap, or the text of its config key)` };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const defaultDeps: ConvertDeps = {
  readText: file => (file === "-" ? readStdin() : readFile(file, "utf8")),
  // A static import: parse.ts is pure and light (the CLI bundle shares it with validate).
  loadValidator: async () => parseConfig,
};
