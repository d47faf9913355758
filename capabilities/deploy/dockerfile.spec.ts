/**
 * There is no container engine here, so the Dockerfile is checked by reading it: the stages, the
 * lines that build the addon and drop dev dependencies, the user, ports and entry point; and, by
 * following the entry point's imports, that the image holds every file the speaker loads and every
 * package it loads is a production dependency (npm prune removes the others).
 */
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json";
import { HEARTBEAT_PORT, METRICS_PORT } from "./names";

const root = join(__dirname, "..", "..");

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile -> instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Instruction[] {
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

const instructions = parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8"));
const stageStarts = instructions.flatMap((ins, i) => (ins.op === "FROM" ? [i] : []));
const build = instructions.slice(stageStarts[0], stageStarts[1]);
const final = instructions.slice(stageStarts[1]);
const entrypoint = JSON.parse(final.find(i => i.op === "ENTRYPOINT")?.args ?? "[]") as string[];

describe("Dockerfile", () => {
  it("has two stages on Node 20 Debian: a full build image and a slim runtime", () => {
    expect(instructions[0]).toEqual({ op: "ARG", args: "NODE_VERSION=20.20" });
    expect(stageStarts).toHaveLength(2);
    expect(build[0]).toEqual({ op: "FROM", args: "node:${NODE_VERSION}-bookworm AS build" });
    expect(final[0]).toEqual({ op: "FROM", args: "node:${NODE_VERSION}-bookworm-slim" });
  });

  it("builds the addon with npm ci (sources copied first), checks it, then prunes dev dependencies", () => {
    const copies = build.filter(i => i.op === "COPY").map(i => i.args);
    expect(copies).toEqual(["package.json package-lock.json ./", "native/ native/"]);
    const run = build.filter(i => i.op === "RUN").map(i => i.args);
    expect(run).toEqual(["npm ci --no-audit --no-fund && test -f native/build/Release/lodestone_native.node && npm prune --omit=dev --no-audit --no-fund"]);
    expect(pkg.scripts.install).toBe("node native/install.cjs");
  });

  it("copies into the runtime only the pruned modules, the built addon and the sources the speaker runs", () => {
    expect(final.filter(i => i.op === "COPY").map(i => i.args)).toEqual([
      "--from=build /app/node_modules/ node_modules/",
      "--from=build /app/native/build/Release/lodestone_native.node native/build/Release/lodestone_native.node",
      "package.json tsconfig.json ./",
      "native/*.ts native/",
      "capabilities/ capabilities/",
      "crds/ crds/",
      "speaker/ speaker/",
    ]);
    expect(final.some(i => i.op === "RUN")).toBe(false);
  });

  it("runs as a non-root user by default, exposes the speaker's ports and starts the speaker", () => {
    expect(final.find(i => i.op === "USER")?.args).toBe("65532:65532");
    expect(final.find(i => i.op === "EXPOSE")?.args).toBe(`${METRICS_PORT}/tcp ${HEARTBEAT_PORT}/udp`);
    expect(final.find(i => i.op === "ENV")?.args).toBe("NODE_ENV=production");
    expect(entrypoint).toEqual(["node", "--import", "tsx", "speaker/main.ts"]);
    // tsx is what runs the TypeScript: it must survive the prune.
    expect(Object.keys(pkg.dependencies)).toContain("tsx");
  });

  it("parses continuation lines and comments", () => {
    expect(parseDockerfile("# c\nFROM a AS b\nRUN x \\\n && y\n\n  # d\nUSER 1")).toEqual([
      { op: "FROM", args: "a AS b" },
      { op: "RUN", args: "x && y" },
      { op: "USER", args: "1" },
    ]);
  });
});

/** Files and packages reachable from `entry` through static and dynamic imports. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  const specifiers = /(?:^|[;\s])(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith(".ts")) continue;
    const text = readFileSync(join(root, file), "utf8");
    for (const m of text.matchAll(specifiers)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (spec.startsWith(".")) {
        const base = join(dirname(file), spec);
        const found = [base, `${base}.ts`, join(base, "index.ts")].find(p => existsSync(join(root, p)) && !p.endsWith("/") && /\.(ts|json|cjs|js)$/.test(p));
        if (!found) throw new Error(`${file}: cannot resolve ${spec}`);
        pending.push(found);
      } else if (!spec.startsWith("node:") && !builtinModules.includes(spec)) {
        packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string));
      }
    }
  }
  return { files, packages };
}

/** Does the Dockerfile's runtime stage copy this file (and .dockerignore not drop it)? */
function inImage(file: string): boolean {
  const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map(l => l.trim())
    .filter(l => l && !l.startsWith("#"));
  for (const pattern of ignored) {
    if (pattern === "**/*.spec.ts" && file.endsWith(".spec.ts")) return false;
    if (pattern.startsWith("**/") && file.split("/").includes(pattern.slice(3))) return false;
    if (file === pattern || file.startsWith(`${pattern}/`)) return false;
  }
  return ["package.json", "tsconfig.json"].includes(file) || /^native\/[^/]+\.ts$/.test(file) || /^(capabilities|crds|speaker)\//.test(file);
}

describe("the image's contents", () => {
  const entry = entrypoint[3] as string;

  it("keeps tests, tools and local state out of the build context", () => {
    expect(inImage("capabilities/l2/arp.ts")).toBe(true);
    expect(inImage("capabilities/l2/arp.spec.ts")).toBe(false);
    expect(inImage("capabilities/bgp/testkit/speaker.ts")).toBe(false);
    expect(inImage("hack/gen/main.ts")).toBe(false);
    expect(inImage("native/index.ts")).toBe(true);
    expect(inImage("native/testkit/agent.ts")).toBe(false);
  });

  it("holds every file the speaker imports, and every package it imports survives the prune", () => {
    const { files, packages } = importClosure(entry);
    expect([...files].filter(f => !inImage(f))).toEqual([]);
    expect([...packages].filter(p => !(p in pkg.dependencies))).toEqual([]);
    expect(files.size).toBeGreaterThan(20);
  });
});
