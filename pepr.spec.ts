/**
 * The module as `pepr build` bundles it (esbuild, Pepr's and the Kubernetes client's packages left to
 * the image's node_modules: node_modules/pepr/src/cli/build/buildModule.ts) and as Pepr's controller
 * image forks it (docs/adr/0015):
 * - at run time it loads no Pepr, no Kubernetes client library and no Express, and serves the webhooks
 *   and /healthz itself, and stops on SIGTERM with Pepr's exit code;
 * - with PEPR_MODE=build it hands `pepr build` both capabilities over IPC.
 */
import { fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureServingCert, type ServingCert } from "./hack/local-controller/tls";

const root = __dirname;
const dir = mkdtempSync(join(tmpdir(), "lodestone-module-process-"));
/** Inside the project, so the bundle's external packages resolve from its node_modules, as in the image's /app. */
const bundle = join(root, "build", "spec-module", `pepr-lodestone-${process.pid}.js`);
const API_PATH = "5f0e1d2c3b4a59687766554433221100";
let cert: ServingCert;

beforeAll(async () => {
  const peprPkg = JSON.parse(readFileSync(join(root, "node_modules", "pepr", "package.json"), "utf8")) as { dependencies: Record<string, string> };
  mkdirSync(join(root, "build", "spec-module"), { recursive: true });
  await build({
    entryPoints: [join(root, "pepr.ts")],
    bundle: true,
    external: [...Object.keys(peprPkg.dependencies), "pepr", "@kubernetes/client-node"],
    format: "cjs",
    keepNames: true,
    minify: true,
    outfile: bundle,
    platform: "node",
    treeShaking: true,
    logLevel: "warning",
  });
  cert = ensureServingCert(join(dir, "tls"));
  writeFileSync(
    join(dir, "kubeconfig"),
    "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://192.0.2.1:6443'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
  );
  // Records every package the bundle itself requires (Node's built-ins aside), written when the process exits.
  writeFileSync(
    join(dir, "record-requires.cjs"),
    `const Module = require("module"); const fs = require("fs"); const seen = new Set(); const load = Module._load;
Module._load = function (request, parent) { if (parent && parent.filename === ${JSON.stringify(bundle)} && !request.startsWith("node:") && !Module.isBuiltin(request)) seen.add(request); return load.apply(this, arguments); };
process.on("exit", () => fs.writeFileSync(${JSON.stringify(join(dir, "required.json"))}, JSON.stringify([...seen].sort())));`,
  );
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
});

function post(port: number, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path, ca: cert.caPem, headers: { "Content-Type": "application/json" } }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("the module process (pepr.ts as pepr build bundles it)", () => {
  it("serves the webhooks with no Pepr, Kubernetes client or Express loaded, and exits 143 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["-r", join(dir, "record-requires.cjs"), bundle], {
      env: {
        PATH: process.env.PATH,
        PEPR_WATCH_MODE: "false",
        PEPR_API_PATH: API_PATH,
        SSL_KEY_PATH: cert.keyPath,
        SSL_CERT_PATH: cert.certPath,
        KUBECONFIG: join(dir, "kubeconfig"),
        LODESTONE_WEBHOOK_HOST: "127.0.0.1",
        LODESTONE_WEBHOOK_PORT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));
    let out = "";
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const m = /"msg":"webhooks and \/healthz at 127\.0\.0\.1:(\d+)"/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then(code => reject(new Error(`the module process exited (${code}) before serving: ${out}`)));
    });

    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nginxlb", namespace: "default", annotations: { "metallb.universe.tf/address-pool": "lb-ip-pool" } },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    };
    const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u-1", kind: { group: "", version: "v1", kind: "Service" }, operation: "CREATE", name: "nginxlb", namespace: "default", object: service } };
    const mutated = await post(port, `/mutate/${API_PATH}?timeout=10s`, review);
    expect(mutated).toEqual({
      status: 200,
      json: {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: "u-1", allowed: true, patchType: "JSONPatch", patch: Buffer.from('[{"op":"add","path":"/metadata/annotations/metallb.io~1address-pool","value":"lb-ip-pool"}]').toString("base64") },
      },
    });
    const validated = await post(port, `/validate/${API_PATH}?timeout=10s`, review);
    expect(validated.json).toMatchObject({ response: { uid: "u-1", allowed: true, warnings: ["annotation metallb.universe.tf/address-pool is deprecated, use metallb.io/address-pool"] } });

    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    const required = JSON.parse(readFileSync(join(dir, "required.json"), "utf8")) as string[];
    expect(required.filter(p => /^(pepr|kubernetes-fluent-client|@kubernetes\/client-node|express)(\/|$)/.test(p))).toEqual([]);
    expect(required).toEqual(["pino", "prom-client"]);
  }, 30_000);

  it("hands pepr build both capabilities when PEPR_MODE=build", async () => {
    const child = fork(bundle, [], { env: { PATH: process.env.PATH, PEPR_MODE: "build", LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const message = await new Promise<unknown>((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", code => reject(new Error(`exited (${code}) without sending the capabilities`)));
    });
    child.kill();
    const capabilities = message as { name: string; bindings: { kind: { kind: string }; event: string; isMutate?: boolean; isValidate?: boolean; isWatch?: boolean }[] }[];
    expect(capabilities.map(c => c.name)).toEqual(["lodestone-webhooks", "lodestone-controller"]);
    const what = (b: { kind: { kind: string }; event: string; isMutate?: boolean; isValidate?: boolean; isWatch?: boolean }) =>
      `${b.kind.kind} ${b.event} ${b.isMutate ? "mutate" : b.isValidate ? "validate" : b.isWatch ? "watch" : "?"}`;
    expect(capabilities.flatMap(c => c.bindings.map(what))).toEqual([
      "IPAddressPool CREATEORUPDATE validate",
      "L2Advertisement CREATEORUPDATE validate",
      "BGPAdvertisement CREATEORUPDATE validate",
      "BGPPeer CREATEORUPDATE validate",
      "BFDProfile CREATEORUPDATE validate",
      "BFDProfile DELETE validate",
      "Community CREATEORUPDATE validate",
      "Service CREATEORUPDATE mutate",
      "Service CREATEORUPDATE validate",
      "IPAddressPool CREATEORUPDATE watch",
    ]);
  }, 30_000);
});
