/**
 * One snapshot of the cluster in, everything this speaker should do out: the parsed configuration
 * (and its problems, for ConfigurationState), the announcement plan, the heartbeat peers and key
 * Secret. Pure; the pipeline runs it on every (debounced) snapshot and acts only when the result
 * changed.
 *
 * An invalid configuration does not stop announcing: as MetalLB does, the speaker keeps the last
 * configuration that parsed and reports the problems (reference 3.6).
 */
import { readEndpointSlice, readNode, readService, type DesiredState, type EndpointSliceView, type SpeakerService } from "../core/announce";
import { assembleDesired, byServiceKey, desiredFor, serviceEndpoints, slicesByService, type DesiredContext, type ServiceDesired } from "../core/announce/desired";
import type { Endpoints } from "../core/announce/endpoints";
import { parseConfig, type ParseResult } from "../core/config/parse";
import type { SecretInput } from "../core/config/peers";
import type { Config, ConfigProblem } from "../core/config/types";
import type { KubeObject } from "../kube/controller-port";
import { DEFAULT_HEARTBEAT_PORT, type HeartbeatPeer } from "./l2/heartbeat-udp";
import { HEARTBEAT_SECRET_NAME } from "../protocols/l2/heartbeat-keys";
import type { ElectionNode } from "../core/election/election";
import type { Snapshot } from "./cluster-cache";

export interface SpeakerSettings {
  node: string;
  namespace: string;
  lbClass?: string;
  ignoreExcludeLB?: boolean;
  /** Fixed peers (LODESTONE_SPEAKER_PEERS) instead of the speaker Pods. */
  staticPeers?: readonly HeartbeatPeer[];
  heartbeatPort?: number;
}

export interface SpeakerState {
  /** The configuration in force (the last valid one when the current one is invalid); undefined before any. */
  config?: Config;
  problems: readonly ConfigProblem[];
  /** The current configuration does not parse and an older one is in force. */
  stale: boolean;
  desired: DesiredState;
  /** The Services with ingress IPs this speaker handles, by key. */
  services: ReadonlyMap<string, SpeakerService>;
  /** The raw Service objects of `services` (for events: uid, resourceVersion, conditions). */
  serviceObjects: ReadonlyMap<string, KubeObject>;
  peers: readonly HeartbeatPeer[];
  heartbeatSecret?: { data?: Record<string, string> };
}

const EMPTY: DesiredState = { l2: [], bgp: [], verdicts: [] };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function stringData(v: unknown): Record<string, string> | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

/** `node=address[:port],...` (LODESTONE_SPEAKER_PEERS). Entries that do not parse are skipped. */
export function parseStaticPeers(text: string, defaultPort = DEFAULT_HEARTBEAT_PORT): HeartbeatPeer[] {
  const out: HeartbeatPeer[] = [];
  for (const entry of text.split(",").map(s => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const node = entry.slice(0, eq);
    let address = entry.slice(eq + 1);
    let port = defaultPort;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
    const v4port = /^([^:]+):(\d+)$/.exec(address);
    if (bracketed?.[1]) {
      address = bracketed[1];
      if (bracketed[2]) port = Number(bracketed[2]);
    } else if (v4port?.[1] && v4port[2]) {
      address = v4port[1];
      port = Number(v4port[2]);
    }
    if (address && port > 0 && port < 65536) out.push({ node, address, port });
  }
  return out;
}

/** Peers from the speaker Pods: node name and pod IP (hostNetwork: the node's address), running only. */
export function peersFromPods(pods: readonly KubeObject[], self: string, port = DEFAULT_HEARTBEAT_PORT): HeartbeatPeer[] {
  const out = new Map<string, HeartbeatPeer>();
  for (const pod of pods) {
    const node = str(obj(pod.spec).nodeName);
    const address = str(obj(pod.status).podIP);
    if (!node || !address || node === self || pod.metadata && "deletionTimestamp" in pod.metadata) continue;
    out.set(node, { node, address, port });
  }
  return [...out.values()].sort((a, b) => (a.node < b.node ? -1 : 1));
}

/**
 * What speakerState keeps from one call to the next so that a snapshot in which few objects changed
 * costs little: at 10,000 Services a full recompute holds the main thread for hundreds of
 * milliseconds (docs/benchmarks.md), and the heartbeats and BGP keepalives share that thread.
 * Objects are recognised by identity: the cluster cache keeps an object's identity while its
 * resourceVersion stays the same, across relists too (speaker/cluster-cache.ts). Every answer is the
 * one a fresh computation would give.
 */
export class SpeakerStateMemo {
  readonly services = new WeakMap<object, SpeakerService | null>();
  readonly slices = new WeakMap<object, EndpointSliceView | null>();
  nodes: { text: string; views: ElectionNode[] } | undefined;
  parse: { text: string; result: ParseResult } | undefined;
  context: DesiredContext | undefined;
  readonly desired = new Map<string, { service: SpeakerService; endpoints: string; decision: ServiceDesired }>();
}

function memoized<T>(cache: WeakMap<object, T | null> | undefined, raw: KubeObject, read: (raw: KubeObject) => T | undefined): T | undefined {
  if (!cache) return read(raw);
  const hit = cache.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const value = read(raw);
  cache.set(raw, value ?? null);
  return value;
}

/**
 * A configuration object without what the API server and the controller rewrite on their own (its
 * resourceVersion and generation, its status): parseConfig (core/config/parse.ts) reads none of them.
 */
const configIdentity = (o: KubeObject): unknown => {
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  if (!rest.metadata) return rest;
  const { resourceVersion: _rv, generation: _generation, ...metadata } = rest.metadata as NonNullable<KubeObject["metadata"]> & { generation?: unknown };
  return { ...rest, metadata };
};

const endpointsText = (e: Endpoints): string => `${e.any ? 1 : 0}${[...e.nodes].sort().join(",")}`;

export function speakerState(snapshot: Snapshot, settings: SpeakerSettings, lastValid: Config | undefined, memo?: SpeakerStateMemo): SpeakerState {
  const steps = speakerStateSteps(snapshot, settings, lastValid, memo);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * speakerState in steps for the speaker's main thread: `pause` is awaited between steps (a
 * TimeSlice's yield), so a state of 10,000 Services never holds the thread in one piece.
 */
export async function speakerStateSliced(
  snapshot: Snapshot,
  settings: SpeakerSettings,
  lastValid: Config | undefined,
  memo: SpeakerStateMemo,
  pause: () => Promise<void>,
): Promise<SpeakerState> {
  const steps = speakerStateSteps(snapshot, settings, lastValid, memo);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}

/** Services handled between two steps. */
const STEP = 256;

function* speakerStateSteps(snapshot: Snapshot, settings: SpeakerSettings, lastValid: Config | undefined, memo?: SpeakerStateMemo): Generator<void, SpeakerState> {
  const secrets = new Map<string, SecretInput>();
  let heartbeatSecret: { data?: Record<string, string> } | undefined;
  for (const s of snapshot.Secret) {
    const name = s.metadata?.name ?? "";
    const data = stringData(s.data);
    const type = str(s.type);
    secrets.set(name, { ...(type ? { type } : {}), ...(data ? { data } : {}) });
    if (name === HEARTBEAT_SECRET_NAME) heartbeatSecret = data ? { data } : {};
  }
  // Nodes and the configuration are few objects, compared by what they say: a kubelet rewrites its
  // Node's status every few minutes without changing anything the election reads.
  let nodes = snapshot.Node.map(readNode).filter((n): n is ElectionNode => n !== undefined);
  if (memo) {
    const text = JSON.stringify(nodes);
    if (memo.nodes?.text === text) nodes = memo.nodes.views;
    else memo.nodes = { text, views: nodes };
  }
  const objects = [...snapshot.IPAddressPool, ...snapshot.L2Advertisement, ...snapshot.BGPAdvertisement, ...snapshot.BGPPeer, ...snapshot.BFDProfile, ...snapshot.Community];
  let parsed: ParseResult;
  // Compared by what parseConfig reads: the controller rewrites a pool's status (its counts) with
  // every allocation, and a new resourceVersion alone must not make every Service's decision anew.
  const parseText = memo ? JSON.stringify([settings.namespace, objects.map(configIdentity), [...secrets], nodes]) : "";
  if (memo?.parse && memo.parse.text === parseText) parsed = memo.parse.result;
  else {
    parsed = parseConfig({ namespace: settings.namespace, objects, secrets, nodes });
    if (memo) memo.parse = { text: parseText, result: parsed };
  }
  const config = parsed.config ?? lastValid;
  const services = new Map<string, SpeakerService>();
  const serviceObjects = new Map<string, KubeObject>();
  let n = 0;
  for (const raw of snapshot.Service) {
    if (++n % STEP === 0) yield;
    const s = memoized(memo?.services, raw, r => readService(r, settings.lbClass));
    if (!s) continue;
    services.set(s.key, s);
    serviceObjects.set(s.key, raw);
  }
  const slices = snapshot.EndpointSlice.map(raw => memoized(memo?.slices, raw, readEndpointSlice)).filter((e): e is EndpointSliceView => e !== undefined && services.has(e.serviceKey));
  let desired: DesiredState = EMPTY;
  if (config) {
    const sameContext = memo?.context && memo.context.config === config && memo.context.nodes === nodes;
    const ctx: DesiredContext = sameContext && memo?.context ? memo.context : { config, nodes, node: settings.node, ...(settings.ignoreExcludeLB ? { ignoreExcludeLB: true } : {}) };
    if (memo && !sameContext) {
      memo.context = ctx;
      memo.desired.clear();
    }
    const slicesOf = slicesByService(slices);
    yield;
    const decisions: ServiceDesired[] = [];
    for (const service of [...services.values()].sort(byServiceKey)) {
      if (++n % STEP === 0) yield;
      const eps = serviceEndpoints(service, slicesOf.get(service.key));
      if (!memo) {
        decisions.push(desiredFor(ctx, service, eps));
        continue;
      }
      const text = endpointsText(eps);
      const kept = memo.desired.get(service.key);
      if (kept && kept.service === service && kept.endpoints === text) {
        decisions.push(kept.decision);
        continue;
      }
      const decision = desiredFor(ctx, service, eps);
      memo.desired.set(service.key, { service, endpoints: text, decision });
      decisions.push(decision);
    }
    if (memo) for (const key of memo.desired.keys()) if (!services.has(key)) memo.desired.delete(key);
    desired = assembleDesired(decisions);
  }
  const peers = settings.staticPeers ? settings.staticPeers.filter(p => p.node !== settings.node) : peersFromPods(snapshot.SpeakerPod, settings.node, settings.heartbeatPort);
  return {
    ...(config ? { config } : {}),
    problems: parsed.problems,
    stale: parsed.config === undefined && lastValid !== undefined,
    desired,
    services,
    serviceObjects,
    peers,
    ...(heartbeatSecret ? { heartbeatSecret } : {}),
  };
}
