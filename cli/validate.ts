/**
 * `lodestone validate -f PATH [-f PATH...] [--namespace NS]`: checks metallb.io configuration
 * files offline, with the same parseConfig the webhooks and the runtime use.
 *
 * Exit codes: 0 valid; 1 the configuration has problems (one `<Kind>/<name>: <field>: <message>`
 * line each on stdout, transient ones included: offline there is no "later"); 2 usage error or a
 * file that cannot be read or parsed (file and line on stderr).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../capabilities/config/parse";
import { isConfigObject } from "../capabilities/config/objects";
import { formatProblem } from "../capabilities/config/types";
import type { SecretInput } from "../capabilities/config/peers";
import type { CommandIO } from "./main";

const USAGE = "usage: lodestone validate -f PATH [-f PATH...] [--namespace NS]\n  PATH: a .yaml/.yml/.json file or a folder (searched recursively)";
const DEFAULT_NAMESPACE = "metallb-system";

interface Options {
  paths: string[];
  namespace: string;
}

function parseArgs(args: string[]): Options | string {
  const paths: string[] = [];
  let namespace = DEFAULT_NAMESPACE;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const eq = arg.indexOf("=");
    const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    if (flag === "-f" || flag === "--filename") {
      const v = value();
      if (!v) return `${flag} needs a path`;
      paths.push(v);
    } else if (flag === "-n" || flag === "--namespace") {
      const v = value();
      if (!v) return `${flag} needs a namespace`;
      namespace = v;
    } else return `unknown argument ${JSON.stringify(arg)}`;
  }
  if (paths.length === 0) return "no file given (-f PATH)";
  return { paths, namespace };
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** The files under `path`: itself when it is a file (whatever its name), else its config files, recursively, sorted. */
function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .map(e => ({ e, full: join(path, e.name) }))
    .sort((a, b) => (a.full < b.full ? -1 : 1))
    .flatMap(({ e, full }) => (e.isDirectory() ? listFiles(full) : CONFIG_FILE.test(e.name) ? [full] : []));
}

/** The objects of one file; a `kind: List` contributes its items. Throws a `file:line:col: message` string on a syntax error. */
function readObjects(file: string, text: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new Error(`${where}: ${error.message.split("\n")[0] ?? error.message}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const items = isObject(value) && value["kind"] === "List" && Array.isArray(value["items"]) ? value["items"] : [value];
    out.push(...items);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function metadataOf(obj: Record<string, unknown>): { name?: string; namespace?: string } {
  const m = isObject(obj["metadata"]) ? obj["metadata"] : {};
  return { name: str(m["name"]), namespace: str(m["namespace"]) };
}

/** A v1 Secret in the target namespace (or with none), as parseConfig wants it: data in base64. */
function secretOf(obj: Record<string, unknown>, namespace: string): [string, SecretInput] | undefined {
  if (obj["apiVersion"] !== "v1" || obj["kind"] !== "Secret") return undefined;
  const { name, namespace: ns } = metadataOf(obj);
  if (!name || (ns !== undefined && ns !== namespace)) return undefined;
  const data: Record<string, string> = {};
  const add = (source: unknown, encode: boolean): void => {
    if (!isObject(source)) return;
    for (const [k, v] of Object.entries(source)) if (typeof v === "string") data[k] = encode ? Buffer.from(v).toString("base64") : v;
  };
  add(obj["data"], false);
  add(obj["stringData"], true); // stringData wins, as the API server merges it over data
  const type = str(obj["type"]);
  return [name, { ...(type !== undefined ? { type } : {}), data }];
}

const isLegacyConfigMap = (obj: Record<string, unknown>): boolean =>
  obj["apiVersion"] === "v1" && obj["kind"] === "ConfigMap" && isObject(obj["data"]) && typeof obj["data"]["config"] === "string";

export async function validateCommand(args: string[], io: CommandIO): Promise<number> {
  const options = parseArgs(args);
  if (typeof options === "string") {
    io.err(`lodestone validate: ${options}`);
    io.err(USAGE);
    return 2;
  }
  const objects: unknown[] = [];
  const secrets = new Map<string, SecretInput>();
  let total = 0;
  for (const path of options.paths) {
    let files: string[];
    try {
      files = listFiles(path);
    } catch (error) {
      io.err(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return 2;
    }
    for (const file of files) {
      let found: unknown[];
      try {
        found = readObjects(file, readFileSync(file, "utf8"));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        io.err(code ? `${file}: cannot read: ${code}` : error instanceof Error ? error.message : String(error));
        return 2;
      }
      for (const obj of found) {
        total++;
        if (!isObject(obj)) continue;
        if (isConfigObject(obj)) objects.push(obj);
        const secret = secretOf(obj, options.namespace);
        if (secret) secrets.set(...secret);
        if (isLegacyConfigMap(obj)) {
          const { namespace, name } = metadataOf(obj);
          io.err(`${file}: ConfigMap ${namespace ?? options.namespace}/${name ?? ""} looks like a legacy MetalLB configuration: \`lodestone convert -f ${file}\` converts it to metallb.io objects`);
        }
      }
    }
  }
  const result = parseConfig({ namespace: options.namespace, objects, secrets });
  for (const warning of result.warnings) io.err(`warning: ${warning}`);
  if (result.problems.length > 0) {
    for (const problem of result.problems) io.out(formatProblem(problem));
    return 1;
  }
  io.out(`valid: ${total} objects (${objects.length} metallb.io configuration objects, ${total - objects.length} other objects skipped)`);
  return 0;
}
