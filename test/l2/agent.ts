/**
 * A stand-alone L2 data plane for one node, without Kubernetes: services come from a JSON file
 * (agent-config.ts) that is watched for changes. Tests and the benchmark run three of these in
 * network namespaces as three "nodes".
 *
 *   npx tsx test/l2/agent.ts --node node1 --bind 192.0.2.11 --key HEX \
 *       --peers node1=192.0.2.11,node2=192.0.2.12 --services /tmp/services.json
 *
 * stdout (one line each, for tests to wait on):
 *   ready {"node","interfaces","heartbeatPort"}    data plane started
 *   status [{service, ip, interfaces, problems}]   every change of what this node announces
 *   stats {...}                                    in answer to "stats" on stdin
 *   keys ok | keys error MESSAGE                   in answer to "keys HEX[,HEX]" (a rotated heartbeat Secret)
 *   membership {"live","canAnnounce"}             every change of the live speakers or of whether this node may announce
 *   blocked MS                                     after "block MS": the main thread was held MS ms by a busy loop
 *                                                  (as a relist or GC holds a busy speaker's)
 *   handover acked|timeout, stopped                on SIGTERM (graceful handover, then exit 0)
 * Logs go to stderr as JSON lines.
 */
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { createInterface } from "node:readline";
import { CountingL2Metrics } from "../../protocols/l2/metrics";
import { parseAgentArgs, parseKeysCommand, parseServicesFile } from "./agent-config";
import { startL2DataPlane, type L2DataPlane } from "../../speaker/l2/index";

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const logLine = (level: string, message: string, fields: Readonly<Record<string, unknown>> = {}): void =>
  void process.stderr.write(`${JSON.stringify({ t: Date.now(), level, message, ...fields })}\n`);

async function main(): Promise<void> {
  const args = parseAgentArgs(process.argv.slice(2));
  if (!args.ok) {
    logLine("error", args.error);
    process.exit(2);
  }
  const { node, bind, port, key, peers, services: servicesPath, keyRotation } = args.value;
  const metrics = new CountingL2Metrics();
  const plane: L2DataPlane = await startL2DataPlane({
    nodeName: node,
    heartbeat: { key, port, bindAddress: bind, peers, keyRotation },
    metrics,
    log: logLine,
  });
  plane.onMembership(view => out(`membership ${JSON.stringify(view)}`));
  plane.onStatus(status => {
    out(`status ${JSON.stringify(status)}`);
    logLine("info", "announcing", { ips: status.map(s => s.ip) });
  });

  let lastText: string | undefined;
  const load = (): void => {
    let text: string;
    try {
      text = readFileSync(servicesPath, "utf8");
    } catch (error) {
      logLine("warn", "cannot read services file", { error: (error as Error).message });
      return;
    }
    if (text === lastText) return;
    lastText = text;
    const parsed = parseServicesFile(text);
    if (!parsed.ok) {
      logLine("error", "invalid services file; keeping the previous services", { error: parsed.error });
      return;
    }
    plane.setServices(parsed.value);
    out(`services ${parsed.value.length}`);
  };
  // The directory is watched, not the file: tests replace the file atomically (write + rename).
  const watcher: FSWatcher = watch(dirname(servicesPath), (_event, name) => {
    if (name === null || name === basename(servicesPath)) load();
  });
  load();

  createInterface({ input: process.stdin }).on("line", line => {
    const command = line.trim();
    if (command.startsWith("keys ")) {
      const keys = parseKeysCommand(command);
      if (keys.ok) plane.setHeartbeatKeys(keys.value);
      out(keys.ok ? "keys ok" : `keys error ${keys.error}`);
    }
    const block = /^block (\d+)$/.exec(command);
    if (block) {
      const ms = Number(block[1]);
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // nothing: the main thread is held
      }
      out(`blocked ${ms}`);
    }
    if (command === "stats") {
      const obj = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort());
      out(`stats ${JSON.stringify({
        owned: plane.ownedIPs(),
        live: plane.liveSpeakers(),
        rejects: plane.heartbeatRejects(),
        keys: plane.heartbeatKeyFingerprints(),
        requests: obj(metrics.requestsReceived),
        responses: obj(metrics.responsesSent),
        gratuitous: obj(metrics.gratuitous),
        malformed: obj(metrics.malformed),
      })}`);
    }
  });

  let leaving = false;
  process.on("SIGTERM", () => {
    if (leaving) return;
    leaving = true;
    void (async () => {
      const outcome = await plane.beginHandover();
      out(`handover ${outcome}`);
      watcher.close();
      await plane.stop();
      out("stopped");
      process.exit(0);
    })();
  });
  out(`ready ${JSON.stringify({ node, interfaces: plane.interfaces().map(i => i.name), heartbeatPort: plane.heartbeatPort() })}`);
}

main().catch((error: unknown) => {
  logLine("error", "agent failed", { error: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
});
