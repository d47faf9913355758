/**
 * A speaker that waits for its heartbeat Secret is alive and says why it is not ready: its probes'
 * server answers before anything waits on the API server. Without it, the kubelet's liveness probe
 * killed a waiting speaker every 40 s on a real cluster (CrashLoopBackOff), and the back-off delayed it
 * once the Secret or the API was there.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { freePort } from "../e2e/support/free-port";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type RunningApiServer } from "../hack/kube-apiserver/server";
import { Spawned } from "../hack/netns/process";

const root = join(__dirname, "..");
let dir: string;
let api: RunningApiServer;
let speaker: Spawned | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lodestone-speaker-main-"));
  api = await startApiServer({ dir });
});

afterAll(async () => {
  speaker?.child.kill("SIGKILL");
  await speaker?.exited;
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function get(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, res => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on("error", reject)
      .end();
  });
}

describe("a speaker waiting for its heartbeat Secret", () => {
  it("answers /healthz and says on /readyz what it waits for", async () => {
    const port = await freePort();
    speaker = new Spawned([process.execPath, "--import", "tsx", join(root, "speaker", "main.ts"), "--metrics-port", String(port), "--metrics-host", "127.0.0.1"], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: api.kubeconfig, NODE_NAME: "node1", LOG_LEVEL: "warn" },
    });
    // Logged after the first read of the Secret, which comes after the probes' server listens.
    await speaker.waitForLine(/waiting for Secret metallb-system\/memberlist/, 30_000);
    expect(await get(port, "/healthz")).toEqual({ status: 200, text: "ok" });
    expect(await get(port, "/readyz")).toEqual({
      status: 503,
      text: 'waiting for Secret metallb-system/memberlist (heartbeat key); create it once with: kubectl -n metallb-system create secret generic memberlist --from-literal=secretkey="$(openssl rand -hex 32)"\n',
    });
  }, 60_000);
});
