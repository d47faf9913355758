/**
 * `lodestone validate -f PATH [-f PATH...] [--namespace NS]`: checks metallb.io configuration
 * files offline, with the same parseConfig the webhooks and the runtime use.
 *
 * Exit codes: 0 valid; 1 the configuration has problems (one `<Kind>/<name>: <field>: <message>`
 * line each on stdout, transient ones included: offline there is no "later"); 2 usage error or a
 * file that cannot be read or parsed (file and line on stderr).
 */
import { parseConfig } from "../core/config/parse";
import { isConfigObject } from "../core/config/objects";
import { formatProblem } from "../core/config/types";
import type { SecretInput } from "../core/config/peers";
import { flagsOrExit, lastString, readFlags, type FlagSpec, strings } from "./args";
import { readSources, readStdin, STDIN_NAME, yamlObjects } from "./input";
import type { CommandIO } from "./main";

export const VALIDATE_USAGE = `usage: lodestone validate -f PATH [-f PATH...] [-n NAMESPACE]
  -f, --filename PATH    a .yaml/.yml/.json file, a folder (searched recursively) or - for stdin
  -n, --namespace NS     the namespace Lodestone runs in (default metallb-system)
  -h, --help             this help
exit 0 valid, 1 problems or nothing to check, 2 usage error or unreadable input`;

export const VALIDATE_FLAGS: Record<string, FlagSpec> = { filename: { type: "string", short: "f", multiple: true }, namespace: { type: "string", short: "n" } };
const DEFAULT_NAMESPACE = "metallb-system";

export interface ValidateDeps {
  readStdin: () => Promise<string>;
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

export async function validateCommand(args: string[], io: CommandIO, deps: ValidateDeps = { readStdin }): Promise<number> {
  const values = flagsOrExit("validate", VALIDATE_USAGE, readFlags(args, VALIDATE_FLAGS), io);
  if (typeof values === "number") return values;
  const options = { paths: strings(values["filename"]), namespace: lastString(values["namespace"]) ?? DEFAULT_NAMESPACE };
  if (options.paths.length === 0) {
    io.err("lodestone validate: no file given (-f PATH, or -f - for stdin)");
    io.err(VALIDATE_USAGE);
    return 2;
  }
  const objects: unknown[] = [];
  let configObjects = 0;
  const secrets = new Map<string, SecretInput>();
  let total = 0;
  for (const path of options.paths) {
    let sources;
    try {
      sources = await readSources(path, deps.readStdin);
    } catch (error) {
      io.err(error instanceof Error ? error.message : String(error));
      return 2;
    }
    for (const { name: file, text } of sources) {
      let found: unknown[];
      try {
        found = yamlObjects({ name: file, text });
      } catch (error) {
        io.err(error instanceof Error ? error.message : String(error));
        return 2;
      }
      for (const obj of found) {
        total++;
        if (!isObject(obj)) continue;
        // Every object goes to parseConfig, which reads the configuration kinds and warns about others it knows (AddressPool).
        objects.push(obj);
        if (isConfigObject(obj)) configObjects++;
        const secret = secretOf(obj, options.namespace);
        if (secret) secrets.set(...secret);
        if (isLegacyConfigMap(obj)) {
          const { namespace, name } = metadataOf(obj);
          io.err(`${file}: ConfigMap ${namespace ?? options.namespace}/${name ?? ""} looks like a legacy MetalLB configuration: \`lodestone convert -f ${file}\` converts it to metallb.io objects`);
        }
      }
    }
  }
  if (total === 0) {
    const where = options.paths.map(p => (p === "-" ? STDIN_NAME : p)).join(", ");
    io.err(`lodestone validate: no objects found in ${where}: nothing to check`);
    return 1;
  }
  const result = parseConfig({ namespace: options.namespace, objects, secrets });
  // An unknown field is a problem here (the API server would drop the setting), so not a warning too.
  const unknown = new Set(result.unknownFields.map(formatProblem));
  for (const warning of result.warnings) if (!unknown.has(warning)) io.err(`warning: ${warning}`);
  const problems = [...result.problems, ...result.unknownFields];
  if (problems.length > 0) {
    for (const problem of problems) io.out(formatProblem(problem));
    return 1;
  }
  io.out(`valid: ${total} objects (${configObjects} metallb.io configuration objects, ${total - configObjects} other objects skipped)`);
  return 0;
}
