import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { containerPlan, shq, writePod } from "./pod";

/** The watcher Deployment as `pepr build` 1.1.4 writes it for this module (build/artifact/pepr-module-lodestone.yaml). */
const watcher = () => ({
  metadata: { name: "pepr-lodestone-watcher", namespace: "pepr-system" },
  spec: {
    template: {
      spec: {
        containers: [
          {
            name: "watcher",
            args: ["/app/node_modules/pepr/dist/controller.js", "b1796c6d16205a477d939ef1cf57086d10a6e91bf09c962726a81870c01aafb2"],
            env: [
              { name: "PEPR_WATCH_MODE", value: "true" },
              { name: "PEPR_PRETTY_LOG", value: "false" },
              { name: "LOG_LEVEL", value: "info" },
            ],
            securityContext: { runAsUser: 65532, runAsGroup: 65532 },
            volumeMounts: [
              { mountPath: "/etc/certs", name: "tls-certs", readOnly: true },
              { mountPath: "/app/load", name: "module", readOnly: true },
            ],
          },
        ],
        securityContext: { fsGroup: 65532, runAsGroup: 65532, runAsUser: 65532 },
        volumes: [
          { name: "tls-certs", secret: { secretName: "pepr-lodestone-tls" } },
          { name: "module", secret: { secretName: "pepr-lodestone-module" } },
        ],
      },
    },
  },
});

const dirs: string[] = [];
afterAll(() => dirs.forEach(d => rmSync(d, { recursive: true, force: true })));

describe("containerPlan", () => {
  it("takes the args, env, Secret mounts and user of the container", () => {
    expect(containerPlan(watcher())).toEqual({
      deployment: "pepr-lodestone-watcher",
      namespace: "pepr-system",
      args: ["/app/node_modules/pepr/dist/controller.js", "b1796c6d16205a477d939ef1cf57086d10a6e91bf09c962726a81870c01aafb2"],
      env: [
        ["PEPR_WATCH_MODE", "true"],
        ["PEPR_PRETTY_LOG", "false"],
        ["LOG_LEVEL", "info"],
      ],
      secretMounts: [
        { mountPath: "/etc/certs", secretName: "pepr-lodestone-tls" },
        { mountPath: "/app/load", secretName: "pepr-lodestone-module" },
      ],
      uid: 65532,
      gid: 65532,
    });
  });

  it("refuses what it cannot run as the kubelet would, naming the Deployment and the field", () => {
    const fromRef = watcher();
    (fromRef.spec.template.spec.containers[0]!.env as unknown[]).push({ name: "X", valueFrom: { secretKeyRef: { name: "s", key: "k" } } });
    expect(() => containerPlan(fromRef)).toThrow("Deployment pepr-system/pepr-lodestone-watcher: spec.template.spec.containers[0].env[3].valueFrom is not supported here");
    const emptyDir = watcher();
    (emptyDir.spec.template.spec.volumes[1] as unknown) = { name: "module", emptyDir: {} };
    expect(() => containerPlan(emptyDir)).toThrow('Deployment pepr-system/pepr-lodestone-watcher: spec.template.spec.containers[0].volumeMounts[1]: volume "module" is not a Secret volume');
    const command = watcher();
    (command.spec.template.spec.containers[0] as Record<string, unknown>).command = ["sh"];
    expect(() => containerPlan(command)).toThrow("the container sets command");
  });
});

describe("writePod", () => {
  it("writes each Secret key as a 0644 file and a script that runs node with the args as uid 65532 and exactly the env", () => {
    const dir = mkdtempSync(join(tmpdir(), "pod-spec-"));
    dirs.push(dir);
    writePod(dir, containerPlan(watcher()), {
      secrets: { "pepr-lodestone-tls": { "tls.crt": Buffer.from("CRT"), "tls.key": Buffer.from("KEY") }, "pepr-lodestone-module": { "module-b1.js.gz": Buffer.from([0x1f, 0x8b]) } },
      serviceAccount: { token: "tok", caPem: "CA" },
      apiServer: { host: "127.0.0.1", port: 6443 },
      webhookPort: 40000,
      nodeModules: "/repo/node_modules",
      nodePath: "/usr/bin/node",
    });
    expect(readFileSync(join(dir, "volumes", "0", "tls.key"), "utf8")).toBe("KEY");
    expect([...readFileSync(join(dir, "volumes", "1", "module-b1.js.gz"))]).toEqual([0x1f, 0x8b]);
    expect(statSync(join(dir, "volumes", "0", "tls.crt")).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(dir, "serviceaccount", "namespace"), "utf8")).toBe("pepr-system");
    const inner = readFileSync(join(dir, "inner.sh"), "utf8").trim().split("\n");
    expect(inner).toContain(`mount --bind ${shq(join(dir, "volumes", "1"))} '/app/load'`);
    expect(inner).toContain("mount -o remount,bind,ro '/var/run/secrets/kubernetes.io/serviceaccount'");
    expect(inner.at(-1)).toBe(
      "exec setpriv --reuid=65532 --regid=65532 --clear-groups env -i 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'HOME=/' " +
        "'HOSTNAME=pepr-lodestone-watcher-local' 'KUBERNETES_SERVICE_HOST=127.0.0.1' 'KUBERNETES_SERVICE_PORT=6443' 'PEPR_WATCH_MODE=true' 'PEPR_PRETTY_LOG=false' " +
        "'LOG_LEVEL=info' 'LODESTONE_WEBHOOK_PORT=40000' 'LODESTONE_METRICS_PORT=0' '/usr/bin/node' '/app/node_modules/pepr/dist/controller.js' " +
        "'b1796c6d16205a477d939ef1cf57086d10a6e91bf09c962726a81870c01aafb2'",
    );
    // What the overlay of / does not show (a tmpfs /tmp, another file system) is bound in at the same path.
    const outer = readFileSync(join(dir, "outer.sh"), "utf8").trim().split("\n");
    expect(outer.slice(-4)).toEqual([
      `mkdir -p "$NS/root"${shq(dir)} && mount --bind ${shq(dir)} "$NS/root"${shq(dir)}`,
      `mkdir -p "$NS/root"'/repo/node_modules' && mount --bind '/repo/node_modules' "$NS/root"'/repo/node_modules'`,
      `mkdir -p "$NS/root"'/usr/bin' && mount --bind '/usr/bin' "$NS/root"'/usr/bin'`,
      `exec chroot "$NS/root" /bin/sh ${shq(join(dir, "inner.sh"))}`,
    ]);
  });

  it("quotes for the shell", () => {
    expect(shq("it's")).toBe("'it'\\''s'");
  });
});
