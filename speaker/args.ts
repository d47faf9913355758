/**
 * The speaker's command line and environment: NODE_NAME (required, from the downward API),
 * LODESTONE_NAMESPACE, POD_IP (heartbeat and metrics bind address), LODESTONE_SPEAKER_PEERS (fixed peers for
 * tests), and MetalLB's flags --ignore-exclude-lb and --lb-class, plus --metrics-port (7472),
 * --metrics-host (env LODESTONE_METRICS_HOST; default POD_IP: on the host network that is the node's
 * address, so the metrics are not served on every interface of the node, as MetalLB's --host does),
 * --heartbeat-port (7946) and --partition-policy (env LODESTONE_PARTITION_POLICY; the flag wins):
 * what a speaker does when it cannot hear most of its peers (docs/adr/0002 §3).
 */
import { isIP } from "node:net";
import { DEFAULT_HEARTBEAT_PORT, type HeartbeatPeer } from "./l2/heartbeat-udp";
import { parsePartitionPolicy, type PartitionPolicy } from "../core/election/liveness";
import { loadBalancerClass, lodestoneNamespace } from "../kube/settings";
import { parseStaticPeers } from "./speaker-state";

export const DEFAULT_METRICS_PORT = 7472;

export interface SpeakerArgs {
  node: string;
  namespace: string;
  lbClass?: string;
  ignoreExcludeLB: boolean;
  metricsPort: number;
  /** Address the metrics (and the probes that use them) listen on. */
  metricsHost: string;
  heartbeatPort: number;
  bindAddress: string;
  partitionPolicy: PartitionPolicy;
  staticPeers?: HeartbeatPeer[];
}

export type ParsedArgs = { ok: true; args: SpeakerArgs } | { ok: false; error: string };

const port = (text: string | undefined, flag: string): number | string => {
  if (text === undefined || !/^\d{1,5}$/.test(text) || Number(text) > 65535) return `${flag} needs a port number 0..65535, got ${JSON.stringify(text ?? "")}`;
  return Number(text);
};

export function parseSpeakerArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const node = env.NODE_NAME;
  if (!node) return { ok: false, error: "NODE_NAME is not set (give the speaker its node name through the downward API: spec.nodeName)" };
  let lbClass = loadBalancerClass(env);
  let ignoreExcludeLB = false;
  let metricsPort = DEFAULT_METRICS_PORT;
  let heartbeatPort = DEFAULT_HEARTBEAT_PORT;
  let policyFlag: string | undefined;
  let metricsHost = env.LODESTONE_METRICS_HOST || env.POD_IP || "0.0.0.0";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--ignore-exclude-lb":
        ignoreExcludeLB = inline === undefined || inline === "true";
        break;
      case "--lb-class":
        lbClass = value() || undefined;
        break;
      case "--metrics-port":
      case "--heartbeat-port": {
        const p = port(value(), flag);
        if (typeof p === "string") return { ok: false, error: p };
        if (flag === "--metrics-port") metricsPort = p;
        else heartbeatPort = p;
        break;
      }
      case "--metrics-host": {
        const host = value() ?? "";
        if (!isIP(host)) return { ok: false, error: `--metrics-host needs an IP address, got ${JSON.stringify(host)}` };
        metricsHost = host;
        break;
      }
      case "--partition-policy":
        policyFlag = value() ?? "";
        break;
      default:
        return { ok: false, error: `unknown argument ${JSON.stringify(arg)}` };
    }
  }
  // The flag wins over the environment, so a bad LODESTONE_PARTITION_POLICY under a good flag is never read.
  const partitionPolicy =
    policyFlag !== undefined ? parsePartitionPolicy(policyFlag, "--partition-policy")
    : env.LODESTONE_PARTITION_POLICY ? parsePartitionPolicy(env.LODESTONE_PARTITION_POLICY, "LODESTONE_PARTITION_POLICY")
    : "availability";
  if (typeof partitionPolicy !== "string") return { ok: false, error: partitionPolicy.error };
  const staticPeers = env.LODESTONE_SPEAKER_PEERS ? parseStaticPeers(env.LODESTONE_SPEAKER_PEERS, heartbeatPort) : undefined;
  return {
    ok: true,
    args: {
      node,
      namespace: lodestoneNamespace(env),
      ...(lbClass ? { lbClass } : {}),
      ignoreExcludeLB,
      metricsPort,
      metricsHost,
      heartbeatPort,
      bindAddress: env.POD_IP || "0.0.0.0",
      partitionPolicy,
      ...(staticPeers ? { staticPeers } : {}),
    },
  };
}
