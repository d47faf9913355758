/**
 * The speaker process (one per node, DaemonSet, hostNetwork). Kubernetes access over plain REST
 * (rest-speaker-port.ts): KUBECONFIG when set, else the in-cluster service account. In the image it
 * runs as a bundle (build/speaker/main.cjs, hack/build.mjs); here under tsx for development.
 *
 *   NODE_NAME=node-a npx tsx speaker/main.ts [--ignore-exclude-lb] [--lb-class X] [--metrics-port 7472]
 *     [--heartbeat-port 7946] [--partition-policy availability|majority]
 *
 * Start-up waits for the heartbeat Secret (`memberlist`, created once by the installer: docs/install.md), opens
 * the L2 and BGP data planes, then runs the speaker pipeline. SIGTERM hands the IPs over, then exits.
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { startBgpDataPlane } from "./bgp";
import { startL2DataPlane } from "./l2";
import { serveMetrics } from "../observability/server";
import { secureMetricsFromEnv } from "../observability/secure-settings";
import { HEARTBEAT_SECRET_NAME, heartbeatKeysFromSecret } from "../protocols/l2/heartbeat-keys";
import { PromHeartbeatMetrics } from "./l2/heartbeat-metrics";
import { PromL2Metrics } from "./l2/prom-metrics";
import type { SpeakerPort } from "../kube/speaker-port";
import { parseSpeakerArgs } from "./args";
import { RestSpeakerPort } from "./rest-speaker-port";
import { adaptL2DataPlane, speakerL2Options } from "./l2-adapter";
import { startSpeaker } from "./speaker";
import { trimWhenQuiet } from "./c-heap-trim";
import { trimCHeap } from "../native/index";
import { logger } from "../observability/log";

const log = logger("speaker");

/** The data planes log through a leveled function with fields; each gets a logger of its own. */
function leveled(component: string): (level: "debug" | "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void {
  const target = logger(component);
  return (level, message, fields) => target[level](fields ?? {}, message);
}

/** The heartbeat keys, waiting (and saying why, to the log and to `waiting`) until the Secret exists and is usable. */
async function heartbeatKeys(port: SpeakerPort, namespace: string, waiting: (reason: string) => void): Promise<readonly Buffer[]> {
  const wait = (reason: string): void => {
    log.warn(reason);
    waiting(reason);
  };
  for (;;) {
    try {
      const [secret] = await port.list("Secret", namespace, HEARTBEAT_SECRET_NAME);
      if (secret) {
        const keys = heartbeatKeysFromSecret(secret as { data?: Record<string, string> });
        if (keys.ok) return keys.keys;
        wait(`Secret ${namespace}/${HEARTBEAT_SECRET_NAME}: ${keys.message}`);
      } else {
        wait(
          `waiting for Secret ${namespace}/${HEARTBEAT_SECRET_NAME} (heartbeat key); create it once with: ` +
            `kubectl -n ${namespace} create secret generic ${HEARTBEAT_SECRET_NAME} --from-literal=secretkey="$(openssl rand -hex 32)"`,
        );
      }
    } catch (e) {
      wait(`reading Secret ${namespace}/${HEARTBEAT_SECRET_NAME} failed: ${String(e)}`);
    }
    await new Promise(r => setTimeout(r, 2000));
  }
}

async function main(): Promise<void> {
  // A library promise nobody awaits (a watch's internal relist, say) must not take announcements down.
  process.on("unhandledRejection", reason => log.error({ err: reason }, "unhandled rejection"));
  const parsed = parseSpeakerArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    console.error(`speaker: ${parsed.error}`);
    process.exit(2);
  }
  const args = parsed.args;
  const port = new RestSpeakerPort({ log: logger("watch") });
  const registry = new Registry();
  // The event-loop delay histogram samples every 50 ms instead of prom-client's 10 ms: the 10 ms
  // timer alone cost an idle speaker about 0.25 % of a core (docs/benchmarks.md, memory and idle CPU).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 50 });
  // The probes' server starts before anything waits on the API server: a speaker that waits for its
  // Secret or for an unreachable API is alive (/healthz) and not ready (/readyz says why). Were it
  // silent, the kubelet's liveness probe would kill it every 40 s, and the restarts' back-off (up to
  // 5 min) would delay it once the API answers (seen on a real cluster).
  let speaker: Awaited<ReturnType<typeof startSpeaker>> | undefined;
  let notReady = "starting";
  const secure = secureMetricsFromEnv(process.env, () => port.request);
  const readiness = (): { ready: boolean; reason: string } => (speaker ? speaker.readiness() : { ready: false, reason: notReady });
  const server = args.metricsPort > 0 ? await serveMetrics(registry, args.metricsPort, args.metricsHost, secure, readiness) : undefined;
  const keys = await heartbeatKeys(port, args.namespace, reason => (notReady = reason));
  const plane = await startL2DataPlane(
    speakerL2Options(args, keys, {
      metrics: new PromL2Metrics(registry),
      heartbeatObserver: new PromHeartbeatMetrics(registry),
      log: leveled("l2"),
    }),
  );
  const bgp = startBgpDataPlane({
    nodeName: args.node,
    registry,
    log: leveled("bgp"),
  });
  speaker = await startSpeaker({
    node: args.node,
    namespace: args.namespace,
    ...(args.lbClass ? { lbClass: args.lbClass } : {}),
    ignoreExcludeLB: args.ignoreExcludeLB,
    heartbeatPort: args.heartbeatPort,
    ...(args.staticPeers ? { staticPeers: args.staticPeers } : {}),
    port,
    dataPlane: adaptL2DataPlane(plane, logger("l2")),
    bgp,
    registry,
    log,
  });
  // After each burst of changes, the C heap's freed pages go back to the kernel (c-heap-trim.ts).
  trimWhenQuiet(speaker.states, () => trimCHeap().catch((e: unknown) => log.warn({ err: e }, "trimming the C heap failed")));
  log.info(`running on node ${args.node}, namespace ${args.namespace}${args.metricsPort > 0 ? `, metrics on ${secure ? "https" : "http"}://${args.metricsHost}:${args.metricsPort}` : ""}`);

  let leaving = false;
  const leave = (signal: string): void => {
    if (leaving) return;
    leaving = true;
    log.info(`${signal}: handing over`);
    speaker.shutdown().then(
      () => {
        void server?.close();
        process.exit(0);
      },
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => leave("SIGTERM"));
  process.on("SIGINT", () => leave("SIGINT"));
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, "cannot start");
  process.exit(1);
});
