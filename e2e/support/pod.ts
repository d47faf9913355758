/**
 * Runs the container of a Deployment's pod template as a local process, the way the kubelet would run
 * it from Pepr's controller image: the container's args after the image's `node` entrypoint, in /app,
 * as uid/gid 65532 (runAsUser/runAsGroup), with exactly the container's env, every Secret volume's keys
 * as read-only files at its volumeMount, and the ServiceAccount's token, CA and namespace at
 * /var/run/secrets/kubernetes.io/serviceaccount with KUBERNETES_SERVICE_HOST/PORT (in-cluster config).
 *
 * The image's filesystem is stood in by an overlay of this machine's root in a private mount
 * namespace (`unshare --mount --propagation private`, then chroot): the process sees /app, /etc/certs
 * and the service account where the Deployment says, and this machine's filesystem is never written.
 * /app/node_modules is the project's node_modules (pinned pepr 1.1.4 and its dependencies, what the
 * image carries). Needs root, as a kubelet does.
 *
 * Differences from a pod, all because this machine has one network namespace: the webhook server
 * listens on LODESTONE_WEBHOOK_PORT (a free port; the image's is 3000) and the controller's metrics on
 * LODESTONE_METRICS_PORT=0; the API server is at 127.0.0.1. The local API server reaches the Service
 * through its service resolver (hack/kube-apiserver/admission.ts), as kube-proxy would route it.
 *
 * Everything a pod needs is written once into its directory (run.sh, the volumes); the suites restart
 * a pod with startPod/stopPod on that directory alone, so the process can be replaced from any process.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join } from "node:path";

/** What the Pepr controller image is: its entrypoint, working directory and user (ghcr.io/defenseunicorns/pepr/controller). */
export const PEPR_IMAGE = { entrypoint: "node", workdir: "/app", uid: 65532, gid: 65532 } as const;
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The parts of a Deployment that decide how its container runs, read from the object the API server holds. */
export interface ContainerPlan {
  deployment: string;
  namespace: string;
  args: string[];
  env: [string, string][];
  /** mountPath -> Secret name (volumes of other kinds are refused). */
  secretMounts: { mountPath: string; secretName: string }[];
  uid: number;
  gid: number;
}

export function containerPlan(deployment: unknown): ContainerPlan {
  const d = obj(deployment);
  const meta = obj(d.metadata);
  const name = `Deployment ${str(meta.namespace)}/${str(meta.name)}`;
  const pod = obj(obj(obj(d.spec).template).spec);
  const containers = arr(pod.containers);
  if (containers.length !== 1) throw new Error(`${name}: spec.template.spec.containers: expected one container, found ${containers.length}`);
  const c = obj(containers[0]);
  if (arr(c.command).length > 0) throw new Error(`${name}: the container sets command; Pepr's image is run through its entrypoint with args`);
  const env = arr(c.env).map((e, i): [string, string] => {
    const entry = obj(e);
    if (entry.valueFrom !== undefined) throw new Error(`${name}: spec.template.spec.containers[0].env[${i}].valueFrom is not supported here`);
    return [str(entry.name), str(entry.value)];
  });
  const volumes = new Map(arr(pod.volumes).map(v => [str(obj(v).name), obj(v)]));
  const secretMounts = arr(c.volumeMounts).map((m, i) => {
    const mount = obj(m);
    const volume = volumes.get(str(mount.name));
    const secretName = str(obj(volume?.secret).secretName);
    if (!secretName) throw new Error(`${name}: spec.template.spec.containers[0].volumeMounts[${i}]: volume "${str(mount.name)}" is not a Secret volume`);
    return { mountPath: str(mount.mountPath), secretName };
  });
  const security = { ...obj(pod.securityContext), ...obj(c.securityContext) };
  return {
    deployment: str(meta.name),
    namespace: str(meta.namespace),
    args: arr(c.args).map(str),
    env,
    secretMounts,
    uid: typeof security.runAsUser === "number" ? security.runAsUser : PEPR_IMAGE.uid,
    gid: typeof security.runAsGroup === "number" ? security.runAsGroup : PEPR_IMAGE.gid,
  };
}

/** POSIX shell single-quoting. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PodFiles {
  /** Secret name -> key -> bytes, as the API server holds them (data decoded). */
  secrets: Record<string, Record<string, Buffer>>;
  serviceAccount: { token: string; caPem: string };
  apiServer: { host: string; port: number };
  /** Where this process's webhook server listens (LODESTONE_WEBHOOK_PORT). */
  webhookPort: number;
  /** The project's node_modules, which stands in for the image's /app/node_modules. */
  nodeModules: string;
  nodePath: string;
}

/**
 * Writes the pod's directory: volumes/<n>/ with each Secret's keys (mode 0644, the kubelet's default),
 * serviceaccount/, outer.sh (namespace and overlay) and inner.sh (inside the overlay root: mounts,
 * then the container's process). Returns the directory.
 */
export function writePod(dir: string, plan: ContainerPlan, files: PodFiles): string {
  mkdirSync(join(dir, "ns"), { recursive: true });
  const inner: string[] = [
    "#!/bin/sh",
    `# ${plan.namespace}/${plan.deployment}: mounts and process, inside the overlay root (written by e2e/support/pod.ts)`,
    "set -eu",
    `mkdir -p ${PEPR_IMAGE.workdir}/node_modules`,
    `chown ${plan.uid}:${plan.gid} ${PEPR_IMAGE.workdir}`,
    `mount --bind ${shq(files.nodeModules)} ${PEPR_IMAGE.workdir}/node_modules`,
  ];
  const mountDir = (source: string, target: string) => inner.push(`mkdir -p ${shq(target)}`, `mount --bind ${shq(source)} ${shq(target)}`, `mount -o remount,bind,ro ${shq(target)}`);
  plan.secretMounts.forEach((m, i) => {
    const data = files.secrets[m.secretName];
    if (!data) throw new Error(`Deployment ${plan.namespace}/${plan.deployment}: Secret ${plan.namespace}/${m.secretName} not found`);
    const volume = join(dir, "volumes", String(i));
    mkdirSync(volume, { recursive: true });
    chmodSync(volume, 0o755);
    for (const [key, value] of Object.entries(data)) writeFileSync(join(volume, key), value, { mode: 0o644 });
    mountDir(volume, m.mountPath);
  });
  const sa = join(dir, "serviceaccount");
  mkdirSync(sa, { recursive: true });
  chmodSync(sa, 0o755);
  writeFileSync(join(sa, "token"), files.serviceAccount.token, { mode: 0o644 });
  writeFileSync(join(sa, "ca.crt"), files.serviceAccount.caPem, { mode: 0o644 });
  writeFileSync(join(sa, "namespace"), plan.namespace, { mode: 0o644 });
  mountDir(sa, SERVICE_ACCOUNT_DIR);

  const env: [string, string][] = [
    ["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    ["HOME", "/"],
    ["HOSTNAME", `${plan.deployment}-local`],
    ["KUBERNETES_SERVICE_HOST", files.apiServer.host],
    ["KUBERNETES_SERVICE_PORT", String(files.apiServer.port)],
    ...plan.env,
    ["LODESTONE_WEBHOOK_PORT", String(files.webhookPort)],
    ["LODESTONE_METRICS_PORT", "0"],
  ];
  inner.push(
    `cd ${PEPR_IMAGE.workdir}`,
    `exec setpriv --reuid=${plan.uid} --regid=${plan.gid} --clear-groups env -i ${env.map(([k, v]) => shq(`${k}=${v}`)).join(" ")} ${shq(files.nodePath)} ${plan.args.map(shq).join(" ")}`,
  );
  const ns = join(dir, "ns");
  const outer = [
    "#!/bin/sh",
    `# ${plan.namespace}/${plan.deployment}: run in a private mount namespace (written by e2e/support/pod.ts)`,
    "set -eu",
    `NS=${shq(ns)}`,
    'mount -t tmpfs -o mode=0755 lodestone-pod "$NS"',
    'mkdir "$NS/upper" "$NS/work" "$NS/root"',
    'mount -t overlay overlay -o "lowerdir=/,upperdir=$NS/upper,workdir=$NS/work" "$NS/root"',
    'for d in proc dev sys; do mount --rbind "/$d" "$NS/root/$d"; done',
    // The overlay shows only the root file system: what the pod reads from others (a tmpfs /tmp, as on
    // Debian 13 or Fedora; a separate /home or /usr/local) is bound in at the same path. Not recursive:
    // the pod's directory holds $NS itself.
    ...[dir, files.nodeModules, dirname(files.nodePath)].map(p => `mkdir -p "$NS/root"${shq(p)} && mount --bind ${shq(p)} "$NS/root"${shq(p)}`),
    `exec chroot "$NS/root" /bin/sh ${shq(join(dir, "inner.sh"))}`,
  ];
  writeFileSync(join(dir, "inner.sh"), `${inner.join("\n")}\n`, { mode: 0o755 });
  writeFileSync(join(dir, "outer.sh"), `${outer.join("\n")}\n`, { mode: 0o755 });
  writeFileSync(join(dir, "port"), String(files.webhookPort));
  return dir;
}

const pidFile = (dir: string) => join(dir, "pid");

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
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

/** The webhook server's port of a pod written by writePod. */
export const podPort = (dir: string): number => Number(readFileSync(join(dir, "port"), "utf8"));

/**
 * Starts the pod's process (its own process group, output appended to dir/log) and resolves once
 * /healthz answers, as the readiness probe would see it.
 */
export async function startPod(dir: string, timeoutMs = 120_000): Promise<number> {
  const log = openSync(join(dir, "log"), "a");
  const child = spawn("unshare", ["--mount", "--propagation", "private", "/bin/sh", join(dir, "outer.sh")], { stdio: ["ignore", log, log], detached: true });
  child.unref();
  const pid = child.pid ?? -1;
  writeFileSync(pidFile(dir), String(pid));
  let exited: number | null | undefined;
  child.once("exit", code => (exited = code));
  const deadline = Date.now() + timeoutMs;
  while (!(await healthy(podPort(dir)))) {
    if (exited !== undefined) throw new Error(`${dir}: the process exited (${exited}) during start-up; see ${join(dir, "log")}`);
    if (Date.now() > deadline) throw new Error(`${dir}: /healthz did not answer within ${timeoutMs} ms; see ${join(dir, "log")}`);
    await new Promise(r => setTimeout(r, 200));
  }
  return pid;
}

/**
 * Stops the pod's process group: SIGTERM, then SIGKILL after the Deployment's grace period (Pepr's
 * is 5 s). Pepr's controller forks the module into the same group, so both go.
 */
export async function stopPod(dir: string, graceMs = 5000): Promise<void> {
  if (!existsSync(pidFile(dir))) return;
  const pgid = Number(readFileSync(pidFile(dir), "utf8"));
  if (!(pgid > 0) || !alive(pgid)) return;
  process.kill(-pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pgid)) {
    if (Date.now() > deadline) {
      process.kill(-pgid, "SIGKILL");
      break;
    }
    await new Promise(r => setTimeout(r, 50));
  }
  while (alive(pgid)) await new Promise(r => setTimeout(r, 20));
}
