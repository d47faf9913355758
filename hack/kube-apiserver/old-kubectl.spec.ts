/**
 * Debian 12's own kubectl (1.20, what `apt-get install kubernetes-client` gives) against the local API
 * server: it fetches /openapi/v2 in protobuf before apply and gave up with `Error from server
 * (NotFound)` while the server had none. hack/setup.sh unpacks it (old-kubectl.ts).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oldKubectl } from "./old-kubectl";
import { openApiV2Protobuf, wantsOpenApiV2Protobuf } from "./openapi";
import { startTestServer, type TestServer } from "./testkit";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(oldKubectl(), args, { env: { ...process.env, KUBECONFIG: srv.kubeconfig, HOME: srv.dir }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
`;

describe("/openapi/v2", () => {
  it("is gnostic's Document{swagger: 2.0, info: {title, version}} in protobuf, byte for byte", () => {
    expect(openApiV2Protobuf().toString("hex")).toBe(
      Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from("2.0"), Buffer.from([0x12, 21, 0x0a, 10]), Buffer.from("Kubernetes"), Buffer.from([0x12, 7]), Buffer.from("v1.26.0")]).toString("hex"),
    );
  });

  it("is protobuf for the media types kubectl asks for, JSON otherwise", async () => {
    const pb = await srv.call("GET", "/openapi/v2", undefined, { Accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" });
    expect(pb.status).toBe(200);
    expect(pb.headers["content-type"]).toBe("application/octet-stream");
    expect(wantsOpenApiV2Protobuf("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")).toBe(true);
    expect(wantsOpenApiV2Protobuf("application/json, application/com.github.proto-openapi.spec.v2.v1.0+protobuf;q=0.9")).toBe(true);
    expect(wantsOpenApiV2Protobuf("application/json")).toBe(false);
    expect(wantsOpenApiV2Protobuf(undefined)).toBe(false);
    const json = await srv.call("GET", "/openapi/v2");
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ swagger: "2.0", info: { title: "Kubernetes", version: "v1.26.0" }, paths: {}, definitions: {} });
  });
});

describe("kubectl 1.20 (Debian 12's kubernetes-client)", () => {
  it("is unpacked by hack/setup.sh", () => {
    expect(existsSync(oldKubectl()), `${oldKubectl()} is missing: run bash hack/setup.sh`).toBe(true);
  });

  it("applies, updates, lists and describes a Service", async () => {
    expect(await kubectl(["apply", "-f", "-"], SERVICE)).toEqual({ code: 0, stdout: "service/web created\n", stderr: "" });
    expect(await kubectl(["apply", "-f", "-"], SERVICE.replace("namespace: default}", "namespace: default, labels: {tier: front}}"))).toEqual({ code: 0, stdout: "service/web configured\n", stderr: "" });
    const get = await kubectl(["get", "svc", "web", "-o", "wide"]);
    expect(get.code).toBe(0);
    expect(get.stdout.split("\n")[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
    expect(get.stdout.split("\n")[1]).toMatch(/^web\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+80:\d+\/TCP\s+\S+\s+app=web$/);
    const describe = await kubectl(["describe", "svc", "web"]);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toMatch(/^Labels:\s+tier=front$/m);
  });
});
