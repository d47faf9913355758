/**
 * `npm run e2e`: the end-to-end suites.
 *
 * With KUBECONFIG set, they run against that cluster, where Lodestone is expected to be installed.
 * Without it, this starts the local control plane (hack/kube-apiserver) and Lodestone on it, runs the
 * suites, and removes both:
 * - by default, the controller out of cluster with its webhooks registered by URL (hack/local-controller);
 * - with `--artifact` (root), the installed artifact: `npx pepr@1.1.4 build`, its manifests applied with
 *   kubectl, and Pepr's admission and watcher Deployments run as the controller image runs them
 *   (e2e/support/artifact.ts, docs/adr/0007). `--artifact-dir DIR` reuses a build in DIR.
 * The suites themselves are the same in every case.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer } from "../hack/kube-apiserver/server";
import { startLocalController } from "./support/local-controller";
import { ADMISSION, buildArtifact, installArtifact, PEPR_NAMESPACE, podDir, WATCHER } from "./support/artifact";

const root = join(__dirname, "..");

/** `--artifact` and `--artifact-dir DIR` are this runner's; every other argument goes to vitest. */
function parseArgs(argv: string[]): { artifact: boolean; artifactDir?: string; vitestArgs: string[] } {
  const out: { artifact: boolean; artifactDir?: string; vitestArgs: string[] } = { artifact: false, vitestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--artifact") out.artifact = true;
    else if (argv[i] === "--artifact-dir") {
      out.artifact = true;
      out.artifactDir = argv[++i];
    } else out.vitestArgs.push(argv[i]!);
  }
  return out;
}

async function main(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const args = parseArgs(process.argv.slice(2));
  if (args.artifact && process.getuid?.() !== 0) {
    console.error("e2e: --artifact runs Pepr's pods in mount namespaces and as uid 65532: run it as root");
    return 2;
  }
  let cleanup = async (_failed: boolean) => {};

  if (!process.env.KUBECONFIG) {
    const dir = mkdtempSync(join(tmpdir(), "lodestone-e2e-"));
    // The admission Service of the installed artifact, once its process listens (the API server's
    // stand-in for the cluster network: hack/kube-apiserver/admission.ts ServiceResolver).
    const services = new Map<string, number>();
    const api = await startApiServer({
      dir: join(dir, "apiserver"),
      resolveService: (namespace, name) => {
        const port = services.get(`${namespace}/${name}`);
        return port === undefined ? undefined : { host: "127.0.0.1", port };
      },
    });
    env.KUBECONFIG = api.kubeconfig;
    env.LODESTONE_E2E_LOCAL = "1";
    env.LODESTONE_E2E_STATE = dir;
    let stopLodestone: () => Promise<void>;
    try {
      if (args.artifact) {
        const manifests = await buildArtifact(args.artifactDir ?? join(root, "build", "artifact"), args.artifactDir !== undefined);
        process.env.KUBECONFIG = api.kubeconfig;
        const apiUrl = new URL(api.url);
        const installed = await installArtifact({
          manifests,
          stateDir: dir,
          apiServer: { host: apiUrl.hostname, port: Number(apiUrl.port), token: api.token, caPem: api.caPem },
          onAdmissionPort: port => services.set(`${PEPR_NAMESPACE}/${ADMISSION}`, port),
        });
        env.LODESTONE_E2E_ARTIFACT = "1";
        // For the install suites (e2e/install/): what `lodestone install -f` applies.
        env.LODESTONE_E2E_MANIFEST = manifests;
        stopLodestone = installed.stop;
        console.log(`e2e: local control plane at ${api.url}, Lodestone installed from ${manifests}`);
      } else {
        const controller = await startLocalController({ stateDir: dir, kubeconfig: api.kubeconfig });
        stopLodestone = controller.stop;
        console.log(`e2e: local control plane at ${api.url}, controller pid ${controller.pid()}`);
      }
    } catch (e) {
      await api.stop();
      throw e;
    }
    cleanup = async (failed: boolean) => {
      await stopLodestone();
      // The state dir goes with the cleanup: what the pods said is only kept in this output.
      if (failed && args.artifact) printPodLogs(dir);
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    console.log(`e2e: running against the cluster of KUBECONFIG=${process.env.KUBECONFIG}`);
  }

  let code = 1;
  try {
    mkdirSync(join(root, "build"), { recursive: true });
    // Not spawnSync: the local API server runs in this process and must keep serving meanwhile.
    const vitest = spawn(
      join(root, "node_modules", ".bin", "vitest"),
      ["run", "--config", "e2e/vitest.config.ts", "--reporter=default", "--reporter=json", `--outputFile=build/e2e-${args.artifact ? "artifact" : "report"}.json`, ...args.vitestArgs],
      { cwd: root, env, stdio: "inherit" },
    );
    code = await new Promise<number>(resolve => vitest.on("close", c => resolve(c ?? 1)));
    return code;
  } finally {
    await cleanup(code !== 0);
  }
}

function printPodLogs(stateDir: string): void {
  for (const deployment of [ADMISSION, WATCHER]) {
    const log = join(podDir(stateDir, deployment), "log");
    if (!existsSync(log)) continue;
    const lines = readFileSync(log, "utf8").trimEnd().split("\n");
    console.log(`\ne2e: last ${Math.min(60, lines.length)} lines of ${PEPR_NAMESPACE}/${deployment}:\n${lines.slice(-60).join("\n")}`);
  }
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(`e2e: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

