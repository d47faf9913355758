/**
 * The test agent's inputs (agent.ts), parsed strictly: the services file it watches and its
 * command line. A services file is a JSON array of
 *   { "name": "ns/svc", "ips": ["192.0.2.100", "2001:db8::100"], "interfaces"?: ["eth0"], "nodes": ["node1", ...], "gratuitousIntervalMs"?: 60000 }
 * where `nodes` are the nodes that may announce it (an L2Advertisement without node selectors over
 * those nodes). Errors name the offending element so a test's typo is obvious.
 */
import { formatIP, parseIP } from "../../core/net/ip";
import type { AnnouncedService } from "../../core/election/announcements";
import type { L2Peer } from "../../speaker/l2/index";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const stringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(s => typeof s === "string");

/** One service for the data plane: every listed node is a candidate, endpoints everywhere. */
export function agentService(name: string, ips: readonly string[], interfaces: readonly string[], nodes: readonly string[]): AnnouncedService {
  return {
    name,
    ips,
    interfaces,
    election: {
      nodes: nodes.map(n => ({ name: n, labels: {}, networkUnavailable: false })),
      advertisements: [{ nodeSelectors: [] }],
      externalTrafficPolicy: "Cluster",
      endpointNodes: new Set(nodes),
      anyReadyEndpoint: true,
    },
  };
}

export function parseServicesFile(text: string): Parsed<AnnouncedService[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `services file is not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(data)) return { ok: false, error: "services file must be a JSON array" };
  const out: AnnouncedService[] = [];
  for (const [i, item] of data.entries()) {
    const at = `services[${i}]`;
    if (!isRecord(item)) return { ok: false, error: `${at}: must be an object` };
    const { name, ips, interfaces = [], nodes, gratuitousIntervalMs } = item;
    if (typeof name !== "string" || name === "") return { ok: false, error: `${at}.name: must be a non-empty string` };
    if (!stringArray(ips) || ips.length === 0) return { ok: false, error: `${at}.ips: must be a non-empty array of strings` };
    const canonical: string[] = [];
    for (const ip of ips) {
      const parsed = parseIP(ip);
      if (!parsed) return { ok: false, error: `${at}.ips: ${JSON.stringify(ip)} is not an IP address` };
      canonical.push(formatIP(parsed));
    }
    if (!stringArray(interfaces)) return { ok: false, error: `${at}.interfaces: must be an array of strings` };
    if (!stringArray(nodes) || nodes.length === 0) return { ok: false, error: `${at}.nodes: must be a non-empty array of strings` };
    if (gratuitousIntervalMs !== undefined && !(typeof gratuitousIntervalMs === "number" && Number.isInteger(gratuitousIntervalMs) && gratuitousIntervalMs > 0)) {
      return { ok: false, error: `${at}.gratuitousIntervalMs: must be a positive whole number of ms` };
    }
    const service = agentService(name, canonical, interfaces, nodes);
    out.push(gratuitousIntervalMs === undefined ? service : { ...service, gratuitousIntervalMs });
  }
  return { ok: true, value: out };
}

/** `node1=192.0.2.11,node2=192.0.2.12` */
export function parsePeers(text: string): Parsed<L2Peer[]> {
  const peers: L2Peer[] = [];
  for (const part of text.split(",").filter(p => p !== "")) {
    const eq = part.indexOf("=");
    const node = part.slice(0, eq);
    const address = part.slice(eq + 1);
    if (eq <= 0 || parseIP(address) === undefined) return { ok: false, error: `peer ${JSON.stringify(part)}: expected NODE=IP` };
    peers.push({ node, address });
  }
  return { ok: true, value: peers };
}

export interface AgentArgs {
  readonly node: string;
  readonly bind: string;
  readonly port: number | undefined;
  readonly key: Buffer;
  readonly peers: L2Peer[];
  readonly services: string;
  /** Heartbeat key rotation timing (--key-switch-ms, --key-retain-ms); defaults when absent. */
  readonly keyRotation: { switchAfterMs?: number; retainOldMs?: number };
}

const USAGE = "usage: agent.ts --node NAME --bind IP --key HEX --peers NODE=IP,... --services FILE [--port N] [--key-switch-ms N] [--key-retain-ms N]";

export function parseAgentArgs(argv: readonly string[]): Parsed<AgentArgs> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? "";
    const value = argv[i + 1];
    if (!flag.startsWith("--") || value === undefined) return { ok: false, error: `${USAGE} (at ${JSON.stringify(flag)})` };
    flags.set(flag.slice(2), value);
  }
  const need = (k: string): string | undefined => flags.get(k);
  const node = need("node");
  const bind = need("bind");
  const keyHex = need("key");
  const services = need("services");
  if (!node || !bind || !keyHex || !services) return { ok: false, error: USAGE };
  if (!/^([0-9a-f]{2})+$/i.test(keyHex)) return { ok: false, error: "--key: must be hex" };
  const peers = parsePeers(need("peers") ?? "");
  if (!peers.ok) return peers;
  const portText = need("port");
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) return { ok: false, error: "--port: must be 0..65535" };
  const keyRotation: { switchAfterMs?: number; retainOldMs?: number } = {};
  for (const [flag, field] of [["key-switch-ms", "switchAfterMs"], ["key-retain-ms", "retainOldMs"]] as const) {
    const text = need(flag);
    if (text === undefined) continue;
    const ms = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(ms)) return { ok: false, error: `--${flag}: must be a whole number of ms` };
    keyRotation[field] = ms;
  }
  return { ok: true, value: { node, bind, port, key: Buffer.from(keyHex, "hex"), peers: peers.value, services, keyRotation } };
}

/**
 * The agent's stdin command that rotates the heartbeat Secret: `keys HEX[,HEX]` (secretkey, then
 * previouskey, as heartbeatKeysFromSecret returns them). Keys must be hex and at least 16 bytes.
 */
export function parseKeysCommand(line: string): Parsed<Buffer[]> {
  const m = /^keys ([0-9a-f,]+)$/i.exec(line.trim());
  if (!m) return { ok: false, error: "expected: keys HEX[,HEX]" };
  const keys: Buffer[] = [];
  for (const hex of (m[1] ?? "").split(",")) {
    if (!/^([0-9a-f]{2})+$/i.test(hex)) return { ok: false, error: `key ${JSON.stringify(hex)}: must be hex` };
    if (hex.length < 32) return { ok: false, error: `key ${JSON.stringify(hex)}: must be at least 16 bytes` };
    keys.push(Buffer.from(hex, "hex"));
  }
  if (keys.length > 2) return { ok: false, error: "at most two keys: secretkey and previouskey" };
  return { ok: true, value: keys };
}
