/**
 * Lodestone's controller as a separate process, for suites that run on the local control plane.
 * Its PID lives in a file in the state dir, so a suite can restart it (the restart test) and the
 * runner still stops whichever process is current at the end.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { freePort } from "./free-port";

const root = join(__dirname, "..", "..");

export interface LocalController {
  pid(): number;
  stop(): Promise<void>;
}

function healthy(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

const pidFile = (stateDir: string) => join(stateDir, "controller.pid");
const portFile = (stateDir: string) => join(stateDir, "controller.port");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the controller and resolves once its webhook server answers and its webhooks are registered. */
export async function startLocalController(opts: { stateDir: string; kubeconfig: string; timeoutMs?: number }): Promise<LocalController> {
  const port = existsSync(portFile(opts.stateDir)) ? Number(readFileSync(portFile(opts.stateDir), "utf8")) : await freePort();
  writeFileSync(portFile(opts.stateDir), String(port));
  const log = openSync(join(opts.stateDir, "controller.log"), "a");
  const loader = pathToFileURL(require.resolve("tsx")).href;
  const child = spawn(
    process.execPath,
    ["--import", loader, join(root, "hack", "local-controller", "main.ts"), "--port", String(port), "--state", join(opts.stateDir, "controller")],
    { cwd: root, env: { ...process.env, KUBECONFIG: opts.kubeconfig, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" }, stdio: ["ignore", log, log], detached: true },
  );
  child.unref();
  const pid = child.pid ?? -1;
  writeFileSync(pidFile(opts.stateDir), String(pid));

  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let exited = false;
  child.once("exit", () => (exited = true));
  while (!(await healthy(port))) {
    if (exited) throw new Error(`the controller exited during start-up; see ${join(opts.stateDir, "controller.log")}`);
    if (Date.now() > deadline) throw new Error(`the controller did not become healthy; see ${join(opts.stateDir, "controller.log")}`);
    await new Promise(r => setTimeout(r, 200));
  }
  return { pid: () => Number(readFileSync(pidFile(opts.stateDir), "utf8")), stop: () => stopLocalController(opts.stateDir) };
}

export async function stopLocalController(stateDir: string): Promise<void> {
  if (!existsSync(pidFile(stateDir))) return;
  const pid = Number(readFileSync(pidFile(stateDir), "utf8"));
  if (!(pid > 0) || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await new Promise(r => setTimeout(r, 50));
  }
}
