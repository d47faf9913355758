/**
 * The Dockerfile read as instructions, for the checks of deploy/dockerfile.spec.ts (there
 * is no container engine here) and for hack/bench/memory.ts, which runs the speaker with the final
 * stage's ENTRYPOINT so that the figures are those of the image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./netns/bed";

export interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile -> instructions (comments dropped, continuation lines joined). */
export function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split("\n")
    .filter(line => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map(l => l.trim())
    .filter(Boolean);
  return logical.map(line => {
    const [op = "", ...rest] = line.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(" ") };
  });
}

export const readDockerfile = (): Instruction[] => parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));

/** The instructions of each stage (split at FROM; ARGs before the first FROM are dropped). */
export function stages(instructions: readonly Instruction[]): Instruction[][] {
  const starts = instructions.flatMap((ins, i) => (ins.op === "FROM" ? [i] : []));
  return starts.map((start, k) => instructions.slice(start, starts[k + 1]));
}

/** The final stage's ENTRYPOINT (exec form). */
export function entrypoint(instructions: readonly Instruction[]): string[] {
  const final = stages(instructions).at(-1) ?? [];
  return JSON.parse(final.find(i => i.op === "ENTRYPOINT")?.args ?? "[]") as string[];
}

/** The V8/Node flags the image's ENTRYPOINT gives node (between the node binary and the script). */
export const speakerNodeFlags = (instructions: readonly Instruction[] = readDockerfile()): string[] => entrypoint(instructions).slice(1, -1);

/** The final stage's ENV settings (KEY=VALUE form), which the memory bench gives the speaker too. */
export function finalEnv(instructions: readonly Instruction[] = readDockerfile()): Record<string, string> {
  const final = stages(instructions).at(-1) ?? [];
  const env: Record<string, string> = {};
  for (const ins of final.filter(i => i.op === "ENV")) {
    for (const pair of ins.args.split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
