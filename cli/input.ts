/**
 * What `-f PATH` means for every `lodestone` subcommand, as for kubectl: a file, a folder of
 * `*.yaml`/`*.yml`/`*.json` files (recursively), or `-` for standard input; and the YAML documents of
 * a text, with syntax errors reported as one `file:line:column: message` line.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, type YAMLError } from "yaml";

/** The name `-` stands for in messages. */
export const STDIN_NAME = "<stdin>";

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** One text to read: its name for messages and its content. */
export interface Source {
  name: string;
  text: string;
}

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** The files under `path`: itself when it is a file (whatever its name), else its config files, recursively, sorted. */
export function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .map(e => ({ e, full: join(path, e.name) }))
    .sort((a, b) => (a.full < b.full ? -1 : 1))
    .flatMap(({ e, full }) => (e.isDirectory() ? listFiles(full) : CONFIG_FILE.test(e.name) ? [full] : []));
}

/**
 * The texts that `-f path` names. Throws an Error whose message is `<path>: cannot read: <CODE>`
 * when a file or folder cannot be read.
 */
export async function readSources(path: string, stdin: () => Promise<string> = readStdin): Promise<Source[]> {
  if (path === "-") return [{ name: STDIN_NAME, text: await stdin() }];
  try {
    return listFiles(path).map(file => ({ name: file, text: readFileSync(file, "utf8") }));
  } catch (error) {
    throw new Error(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The first line of a YAML error without the library's trailing ` at line N, column M:` (which
 * introduces a source excerpt on the following lines): the caller prints `file:line:col:` itself.
 */
export function yamlErrorText(error: YAMLError): string {
  const first = error.message.split("\n")[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "");
}

/** `file:line:col: message` for a YAML syntax error. */
export function yamlErrorLine(file: string, error: YAMLError): string {
  const pos = error.linePos?.[0];
  return `${pos ? `${file}:${pos.line}:${pos.col}` : file}: ${yamlErrorText(error)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The values of the YAML documents of `source`, empty documents left out and a `kind: List`
 * replaced by its items. Throws an Error with a `file:line:col: message` line on a syntax error or
 * an alias bomb.
 */
export function yamlObjects(source: Source): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(source.text)) {
    const error = doc.errors[0];
    if (error) throw new Error(yamlErrorLine(source.name, error));
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new Error(`${source.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (value === null || value === undefined) continue;
    const items = isObject(value) && value["kind"] === "List" && Array.isArray(value["items"]) ? (value["items"] as unknown[]) : [value];
    out.push(...items);
  }
  return out;
}
