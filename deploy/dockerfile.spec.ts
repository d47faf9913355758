/**
 * There is no container engine here, so the Dockerfile is checked by reading it: the stages and their
 * base images, the lines that build the addon and the bundle, what the final stage copies, the user,
 * ports and entry point. The speaker bundle is built here with the build stage's options to show
 * what the image holds: no package the speaker does not load, no TypeScript tooling, no test code,
 * every source inside the build context, and a payload under 10 MiB.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import pkg from "../package.json";
import { entrypoint, finalEnv, parseDockerfile, readDockerfile, speakerNodeFlags, stages } from "../hack/dockerfile";
import { HEARTBEAT_PORT, METRICS_PORT } from "./names";

const root = join(__dirname, "..");
const instructions = readDockerfile();
const [buildStage = [], final = []] = stages(instructions);

describe("Dockerfile", () => {
  it("has two stages on Node 24 LTS and Debian 12: the full Node image to build, distroless Node to run", () => {
    expect(instructions[0]).toEqual({ op: "ARG", args: "NODE_MAJOR=24" });
    expect(stages(instructions)).toHaveLength(2);
    expect(buildStage[0]).toEqual({ op: "FROM", args: "node:${NODE_MAJOR}-bookworm AS build" });
    expect(final[0]).toEqual({ op: "FROM", args: "gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot" });
  });

  it("builds the addon and the speaker bundle, with both addons beside it", () => {
    expect(buildStage.filter(i => i.op === "COPY").map(i => i.args)).toEqual([
      "package.json package-lock.json tsconfig.json ./",
      "native/ native/",
      "hack/build.mjs hack/build.mjs",
      "capabilities/ capabilities/",
      "core/ core/",
      "protocols/ protocols/",
      "kube/ kube/",
      "observability/ observability/",
      "controller/ controller/",
      "crds/ crds/",
      "speaker/ speaker/",
    ]);
    expect(buildStage.filter(i => i.op === "RUN").map(i => i.args)).toEqual([
      "npm ci --ignore-scripts --no-audit --no-fund && node native/install.cjs && node hack/build.mjs speaker && test -f build/speaker/lodestone_native.node && test -f build/speaker/netlink.node",
    ]);
    expect(pkg.scripts.install).toBe("node native/install.cjs");
  });

  it("copies into the runtime the bundle folder only: no node_modules, no sources", () => {
    expect(final.filter(i => i.op === "COPY").map(i => i.args)).toEqual(["--from=build /app/build/speaker/ ./"]);
    expect(final.some(i => i.op === "RUN")).toBe(false);
  });

  it("runs as a non-root user by default, exposes the speaker's ports and starts the bundle with distroless's node", () => {
    expect(final.find(i => i.op === "USER")?.args).toBe("65532:65532");
    expect(final.find(i => i.op === "EXPOSE")?.args).toBe(`${METRICS_PORT}/tcp ${HEARTBEAT_PORT}/udp`);
    const argv = entrypoint(instructions);
    expect(argv[0]).toBe("/nodejs/bin/node");
    expect(argv.at(-1)).toBe("main.cjs");
    expect(speakerNodeFlags(instructions)).toEqual(argv.slice(1, -1));
    expect(speakerNodeFlags(instructions)).toEqual(["--max-semi-space-size=1", "--heap-growing-percent=25", "--lite-mode", "--bytecode-old-age=1"]);
    expect(finalEnv(instructions)).toEqual({ MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "65536" });
  });

  it("carries the OCI labels of source, version and revision, the version defaulting to package.json's", () => {
    const labels = final.filter(i => i.op === "LABEL").map(i => i.args).join(" ");
    for (const key of ["title", "source", "version", "revision", "licenses"]) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toContain('org.opencontainers.image.version="$VERSION"');
    expect(labels).toContain('org.opencontainers.image.revision="$REVISION"');
    expect(final.filter(i => i.op === "ARG").map(i => i.args)).toEqual([`VERSION=${pkg.version}`, "REVISION=unknown"]);
  });

  it("parses continuation lines and comments", () => {
    expect(parseDockerfile("# c\nFROM a AS b\nRUN x \\\n && y\n\n  # d\nUSER 1")).toEqual([
      { op: "FROM", args: "a AS b" },
      { op: "RUN", args: "x && y" },
      { op: "USER", args: "1" },
    ]);
  });
});

/** Does .dockerignore keep this file (relative to the repository) in the build context? */
function inContext(file: string): boolean {
  let kept = true;
  for (const raw of readFileSync(join(root, ".dockerignore"), "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    const pattern = negated ? line.slice(1) : line;
    const matches =
      pattern === "**/*.spec.ts" ? file.endsWith(".spec.ts") : pattern.startsWith("**/") ? file.split("/").includes(pattern.slice(3)) : file === pattern || file.startsWith(`${pattern}/`);
    if (matches) kept = negated;
  }
  return kept;
}

describe("the image's contents", async () => {
  const { speakerBuild, netlinkAddon } = await import("../hack/build.mjs");
  const result = await build({ ...speakerBuild(join(root, "build", "spec-speaker")), write: false, metafile: true });
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  const packages = new Set(inputs.filter(f => f.includes("node_modules/")).map(f => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? f));
  const sources = inputs.filter(f => !f.includes("node_modules/"));

  it("keeps tests, tools and local state out of the build context, but not the build script", () => {
    expect(inContext("protocols/l2/arp.ts")).toBe(true);
    expect(inContext("protocols/l2/arp.spec.ts")).toBe(false);
    expect(inContext("test/bgp/testkit/speaker.ts")).toBe(false);
    expect(inContext("hack/gen/main.ts")).toBe(false);
    expect(inContext("hack/build.mjs")).toBe(true);
    expect(inContext("native/index.ts")).toBe(true);
    expect(inContext("test/native/agent.ts")).toBe(false);
    expect(inContext("test/l2/sim-cluster.ts")).toBe(false);
  });

  it("bundles only production dependencies, none of pepr, the Kubernetes clients or the TypeScript tooling", () => {
    expect([...packages].filter(p => !(p in pkg.dependencies) && !isTransitive(p))).toEqual([]);
    for (const p of ["pepr", "kubernetes-fluent-client", "@kubernetes/client-node", "tsx", "typescript", "esbuild", "vitest", "fast-check", "ajv"]) expect(packages).not.toContain(p);
  });

  it("bundles no test code, and every source it bundles is in the build context", () => {
    expect(sources.filter(f => /\.spec\.ts$|^test\/|\/testkit\/|\/testdata\//.test(f))).toEqual([]);
    expect(sources.filter(f => !inContext(f))).toEqual([]);
    expect(sources.length).toBeGreaterThan(20);
  });

  it("is Latin-1 text: one character above U+00FF would make V8 keep the whole source two bytes per character", () => {
    const text = result.outputFiles?.map(f => f.text).join("") ?? "";
    expect([...text.matchAll(/[\u0100-\uffff]/g)].map(m => text.slice(Math.max(0, (m.index ?? 0) - 30), (m.index ?? 0) + 10))).toEqual([]);
  });

  it("holds under 10 MiB: the bundle and the two addons", () => {
    const bundle = result.outputFiles?.reduce((n, f) => n + f.contents.byteLength, 0) ?? 0;
    const ours = join(root, "native", "build", "Release", "lodestone_native.node");
    const addons = statSync(netlinkAddon()).size + (existsSync(ours) ? statSync(ours).size : 0);
    expect(bundle + addons).toBeLessThan(10 * 1024 * 1024);
    expect(relative(root, netlinkAddon())).toMatch(/^node_modules\/netlink\/prebuilds\/linux-/);
  });
});

/** A package that is bundled because a production dependency needs it (it is in the lockfile as such). */
function isTransitive(name: string): boolean {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const entry = lock.packages[`node_modules/${name}`];
  return entry !== undefined && entry.dev !== true;
}
