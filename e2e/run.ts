/**
 * `npm run e2e`: the end-to-end suites.
 *
 * With KUBECONFIG set, they run against that cluster, where Lodestone is expected to be installed.
 * Without it, this starts the local control plane (hack/kube-apiserver) and Lodestone's controller
 * out of cluster with its webhooks registered (hack/local-controller), runs the suites, and removes
 * both. The suites themselves are the same in both cases.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer } from "../hack/kube-apiserver/server";
import { startLocalController } from "./support/local-controller";

const root = join(__dirname, "..");

async function main(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let cleanup = async () => {};

  if (!process.env.KUBECONFIG) {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-e2e-"));
    const api = await startApiServer({ dir: join(dir, "apiserver") });
    env.KUBECONFIG = api.kubeconfig;
    env.LODESTONE_E2E_LOCAL = "1";
    env.LODESTONE_E2E_STATE = dir;
    const controller = await startLocalController({ stateDir: dir, kubeconfig: api.kubeconfig });
    console.log(`e2e: local control plane at ${api.url}, controller pid ${controller.pid()}`);
    cleanup = async () => {
      await controller.stop();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    console.log(`e2e: running against the cluster of KUBECONFIG=${process.env.KUBECONFIG}`);
  }

  try {
    mkdirSync(join(root, "build"), { recursive: true });
    // Not spawnSync: the local API server runs in this process and must keep serving meanwhile.
    const vitest = spawn(
      join(root, "node_modules", ".bin", "vitest"),
      ["run", "--config", "e2e/vitest.config.ts", "--reporter=default", "--reporter=json", "--outputFile=build/e2e-report.json", ...process.argv.slice(2)],
      { cwd: root, env, stdio: "inherit" },
    );
    return await new Promise<number>(resolve => vitest.on("close", code => resolve(code ?? 1)));
  } finally {
    await cleanup();
  }
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(`e2e: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

