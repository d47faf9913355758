/**
 * Flags of a `lodestone` subcommand, read with Node's own parser (node:util parseArgs), plus the
 * conventions every subcommand shares, as kubectl has them: `-h`/`--help` prints the usage on stdout
 * and exits 0; an unknown flag, a flag without its value or a stray argument exits 2 with the reason
 * and the usage on stderr.
 */
import { parseArgs } from "node:util";
import type { CommandIO } from "./main";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export type ParsedFlags = { kind: "run"; values: FlagValues } | { kind: "help" } | { kind: "usage-error"; message: string };

/** Reads `args` against `flags` (long name => spec); `help`/`-h` is added. Never throws. */
export function readFlags(args: readonly string[], flags: Record<string, FlagSpec>): ParsedFlags {
  const options = { ...flags, help: { type: "boolean" as const, short: "h" } };
  // strict: false so that unknown flags come back as tokens and are named in our own words.
  const { values, tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (values["help"] === true) return { kind: "help" };
  for (const token of tokens) {
    if (token.kind === "positional") return { kind: "usage-error", message: `unexpected argument "${token.value}"` };
    if (token.kind !== "option") continue;
    const spec = flags[token.name];
    if (spec === undefined) return { kind: "usage-error", message: `unknown flag "${token.rawName}"` };
    if (spec.type === "string" && (token.value === undefined || token.value === "")) return { kind: "usage-error", message: `flag ${token.rawName} needs a value` };
    if (spec.type === "boolean" && token.inlineValue) return { kind: "usage-error", message: `flag ${token.rawName} takes no value` };
  }
  return { kind: "run", values };
}

/**
 * The common ending of a subcommand's argument reading: on `help` prints `usage` to stdout and
 * returns 0; on a usage error prints `lodestone <command>: <reason>` and `usage` to stderr and returns 2;
 * otherwise returns the values.
 */
export function flagsOrExit(command: string, usage: string, parsed: ParsedFlags, io: CommandIO): FlagValues | number {
  if (parsed.kind === "help") {
    io.out(usage);
    return 0;
  }
  if (parsed.kind === "usage-error") {
    io.err(`lodestone ${command}: ${parsed.message}`);
    io.err(usage);
    return 2;
  }
  return parsed.values;
}

/** The strings given for a `multiple` string flag, in order. */
export const strings = (v: FlagValues[string]): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s): s is string => typeof s === "string");

/** The last string given for a string flag. */
export const lastString = (v: FlagValues[string]): string | undefined => strings(v).at(-1);
