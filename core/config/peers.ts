/**
 * BGPPeer (v1beta2, and the deprecated v1beta1 with its smaller field set): ASNs, addresses,
 * timers, password or password Secret, BFD profile reference, dynamicASN, localASN,
 * dualStackAddressFamily, interface (BGP unnumbered) and vrf.
 */
import { formatIP, parseIP } from "../net/ip";
import { parseGoDuration } from "./duration";
import { reportUnknownFields, type ConfigObject } from "./objects";
import { peer as issues, schema, type Reporter } from "./problems";
import { at, has, isRecord, own, readBool, readInt, readRecord, readString, type JsonRecord } from "./read";
import { parseSelectorList } from "./selector";
import type { BFDProfile, BGPPeer } from "./types";

const V1BETA1_FIELDS = ["myASN", "peerASN", "peerAddress", "sourceAddress", "peerPort", "holdTime", "keepaliveTime", "routerID", "nodeSelectors", "password", "bfdProfile", "ebgpMultiHop"];
const V1BETA2_FIELDS = [
  ...V1BETA1_FIELDS,
  "dynamicASN",
  "localASN",
  "interface",
  "connectTime",
  "passwordSecret",
  "enableGracefulRestart",
  "vrf",
  "disableMP",
  "dualStackAddressFamily",
];
const MAX_ASN = 4294967295;
const DEFAULT_HOLD_S = 90;
const DEFAULT_CONNECT_S = 120;

export interface SecretInput {
  type?: string;
  data?: Record<string, string>;
}

export interface PeerContext {
  namespace: string;
  /** undefined: Secrets are not known here (admission), so passwordSecret is not resolved. */
  secrets?: ReadonlyMap<string, SecretInput>;
  bfdProfiles: ReadonlyMap<string, BFDProfile>;
}

/**
 * A name Linux can give a link (interface or VRF device): 1 to 15 bytes (IFNAMSIZ 16 with the NUL),
 * no "/", ":" or white space, not "." or ".." (dev_valid_name in the kernel's net/core/dev.c).
 */
const isLinkName = (s: string): boolean => Buffer.byteLength(s) <= 15 && s !== "." && s !== ".." && !/[/:\s]/.test(s);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const hasNewline = (s: string): boolean => /[\r\n]/.test(s);

/** Reads one peer; undefined when it has a non-transient problem of its own (reported). */
export function readPeer(obj: ConfigObject, ctx: PeerContext, warnings: string[]): BGPPeer | undefined {
  let valid = true;
  const report: Reporter = (field, issue) => {
    if (!issue.transient) valid = false;
    obj.report(field, issue);
  };
  const { spec } = obj;
  const v1beta1 = obj.apiVersion === "metallb.io/v1beta1";
  const prefix = `BGPPeer/${obj.displayName}`;
  if (v1beta1) warnings.push(`${prefix}: ${issues.v1beta1Deprecated()}`);
  reportUnknownFields(obj, spec, "spec", v1beta1 ? V1BETA1_FIELDS : V1BETA2_FIELDS);
  const f = (key: string) => at(spec, key, "spec");

  // ASNs
  const myASN = readInt(f("myASN"), report, { min: 0, max: MAX_ASN, required: true });
  const peerASNIn = readInt(f("peerASN"), report, { min: 0, max: MAX_ASN, required: v1beta1 });
  // Absent from v1beta1, or of a wrong type or range: already reported by the schema check.
  const peerASNReported = peerASNIn === undefined && (v1beta1 || has(f("peerASN")));
  const peerASN = peerASNIn ?? 0;
  if (myASN === 0) report("spec.myASN", issues.missingLocalASN());
  const dynamicASNText = v1beta1 ? undefined : readString(f("dynamicASN"), report);
  const dynamicASN = dynamicASNText === "internal" || dynamicASNText === "external" ? dynamicASNText : undefined;
  if (dynamicASNText !== undefined && !dynamicASN) report("spec.dynamicASN", schema.unsupported(dynamicASNText, ["internal", "external"]));
  if (peerASN === 0 && !dynamicASNText && !peerASNReported) report("spec.peerASN", issues.missingPeerASN());
  if (peerASN !== 0 && dynamicASNText) report("spec.dynamicASN", issues.bothASNs());
  // The AS this peer sees (FRR's `local-as N no-prepend replace-as`); myASN stays the node's AS.
  const localASN = v1beta1 || !has(f("localASN")) ? undefined : readInt(f("localASN"), report, { min: 1, max: MAX_ASN });
  const ebgpMultiHop = readBool(f("ebgpMultiHop"), report) ?? false;
  if (myASN !== undefined && myASN !== 0 && peerASN === myASN && ebgpMultiHop) report("spec.ebgpMultiHop", issues.ibgpMultiHop());

  // Addresses
  const address = readString(f("peerAddress"), report, v1beta1) ?? "";
  const iface = v1beta1 ? "" : (readString(f("interface"), report) ?? "");
  const addressReported = has(f("peerAddress")) ? typeof own(spec, "peerAddress") !== "string" : v1beta1;
  if (address === "" && iface === "" && !addressReported) report("spec.peerAddress", issues.noAddress());
  if (address !== "" && iface !== "") report("spec.interface", issues.bothAddressAndInterface());
  else if (iface !== "" && !isLinkName(iface)) report("spec.interface", issues.invalidLinkName("interface", iface));
  const peerIP = address === "" ? undefined : parseIP(address);
  if (address !== "" && !peerIP) report("spec.peerAddress", issues.invalidAddress(address));
  const source = readString(f("sourceAddress"), report) ?? "";
  const sourceIP = source === "" ? undefined : parseIP(source);
  if (source !== "" && !sourceIP) report("spec.sourceAddress", issues.invalidSource(source));
  const routerIDText = readString(f("routerID"), report) ?? "";
  const routerID = routerIDText === "" ? undefined : parseIP(routerIDText);
  if (routerIDText !== "" && !routerID) report("spec.routerID", issues.invalidRouterID(routerIDText));
  else if (routerID && routerID.family !== "IPv4") report("spec.routerID", issues.routerIDNotIPv4(routerIDText));
  const port = readInt(f("peerPort"), report, { min: v1beta1 ? 0 : 1, max: 16384 });
  const peerPort = port === undefined || port === 0 ? 179 : port;

  const timers = readTimers(spec, report, v1beta1);
  const nodeSelectors = parseSelectorList(f("nodeSelectors"), "nodeSelectors", report, { valuesMinItems: v1beta1 });
  const secret = readPassword(obj, ctx, report, v1beta1);

  const bfdProfile = readString(f("bfdProfile"), report) ?? "";
  if (bfdProfile !== "" && !ctx.bfdProfiles.has(bfdProfile)) report("spec.bfdProfile", issues.bfdProfileMissing(bfdProfile));
  const enableGracefulRestart = v1beta1 ? false : (readBool(f("enableGracefulRestart"), report) ?? false);
  const dualStackAddressFamily = v1beta1 ? false : (readBool(f("dualStackAddressFamily"), report) ?? false);
  const vrf = v1beta1 ? "" : (readString(f("vrf"), report) ?? "");
  if (vrf !== "" && !isLinkName(vrf)) report("spec.vrf", issues.invalidLinkName("vrf", vrf));
  if (!v1beta1) {
    if (readBool(f("disableMP"), report) === true) warnings.push(`${prefix}: spec.disableMP: ${issues.disableMPDeprecated()}`);
  }

  if (!valid || obj.name === "" || myASN === undefined || (!peerIP && iface === "") || !timers) return undefined;
  return {
    name: obj.name,
    myASN,
    peerASN,
    ...(dynamicASN ? { dynamicASN } : {}),
    ...(localASN !== undefined ? { localASN } : {}),
    peerAddress: peerIP ? formatIP(peerIP) : "",
    ...(iface !== "" ? { interface: iface } : {}),
    ...(vrf !== "" ? { vrf } : {}),
    peerPort,
    ...(sourceIP ? { sourceAddress: formatIP(sourceIP) } : {}),
    ...(routerID ? { routerID: formatIP(routerID) } : {}),
    holdTimeS: timers.hold,
    keepaliveTimeS: timers.keepalive,
    connectTimeS: timers.connect,
    nodeSelectors,
    ...(secret.password !== undefined ? { password: secret.password } : {}),
    ...(secret.ref ? { passwordSecret: secret.ref } : {}),
    ...(bfdProfile !== "" ? { bfdProfile } : {}),
    ebgpMultiHop,
    enableGracefulRestart,
    ...(dualStackAddressFamily ? { dualStackAddressFamily } : {}),
  };
}

/** Hold time, keepalive and connect time in whole seconds; undefined when invalid (reported). */
function readTimers(spec: JsonRecord, report: Reporter, v1beta1: boolean): { hold: number; keepalive: number; connect: number } | undefined {
  let valid = true;
  const duration = (key: string): { text: string; seconds: number } | undefined => {
    const text = readString(at(spec, key, "spec"), report);
    if (text === undefined) return undefined;
    const seconds = parseGoDuration(text);
    if (seconds === undefined || seconds < 0) {
      report(`spec.${key}`, issues.invalidDuration(text));
      valid = false;
      return undefined;
    }
    return { text, seconds };
  };
  const holdIn = duration("holdTime");
  const keepaliveIn = duration("keepaliveTime");
  // One given: the other follows RFC 4271's suggested ratio of 3.
  const hold = holdIn?.seconds ?? (keepaliveIn ? keepaliveIn.seconds * 3 : DEFAULT_HOLD_S);
  const keepalive = keepaliveIn?.seconds ?? hold / 3;
  const rounded = Math.trunc(hold);
  const holdText = holdIn?.text ?? `${hold}s`;
  if (rounded !== 0 && rounded < 3) {
    report(holdIn ? "spec.holdTime" : "spec.keepaliveTime", issues.holdTime(holdText));
    valid = false;
  } else if (keepalive > hold) {
    report("spec.keepaliveTime", issues.keepaliveAboveHold(keepaliveIn?.text ?? `${keepalive}s`, holdText));
    valid = false;
  }
  let connect = DEFAULT_CONNECT_S;
  const connectIn = v1beta1 ? undefined : duration("connectTime");
  if (connectIn) {
    if (connectIn.seconds < 1 || connectIn.seconds > 65535) {
      report("spec.connectTime", issues.connectTimeRange(connectIn.text));
      valid = false;
    } else if (!Number.isInteger(connectIn.seconds)) {
      report("spec.connectTime", issues.connectTimeFraction(connectIn.text));
      valid = false;
    } else connect = connectIn.seconds;
  }
  return valid ? { hold: rounded, keepalive: Math.trunc(keepalive), connect } : undefined;
}

function readPassword(
  obj: ConfigObject,
  ctx: PeerContext,
  report: Reporter,
  v1beta1: boolean,
): { password?: string; ref?: { name: string; namespace: string } } {
  const password = readString(at(obj.spec, "password", "spec"), report) ?? "";
  if (hasNewline(password)) report("spec.password", issues.passwordCharacters());
  const refRaw = v1beta1 ? undefined : readRecord(at(obj.spec, "passwordSecret", "spec"), report);
  const refName = refRaw ? (readString(at(refRaw, "name", "spec.passwordSecret"), report) ?? "") : "";
  const refNamespace = refRaw ? (readString(at(refRaw, "namespace", "spec.passwordSecret"), report) ?? "") : "";
  if (refName === "") return password !== "" ? { password } : {};
  if (password !== "") {
    report("spec.passwordSecret", issues.passwordAndSecret());
    return {};
  }
  if (refNamespace !== "" && refNamespace !== ctx.namespace) report("spec.passwordSecret.namespace", issues.secretNamespace(refNamespace, ctx.namespace));
  const ref = { name: refName, namespace: ctx.namespace };
  if (!ctx.secrets) return { ref };
  const secret = ctx.secrets.get(refName);
  if (!secret) {
    report("spec.passwordSecret", issues.secretNotFound(ctx.namespace, refName));
    return { ref };
  }
  if (secret.type !== "kubernetes.io/basic-auth") {
    report("spec.passwordSecret", issues.secretType(ctx.namespace, refName));
    return { ref };
  }
  const data = isRecord(secret.data) ? own(secret.data, "password") : undefined;
  if (typeof data !== "string") {
    report("spec.passwordSecret", issues.secretNoPassword(ctx.namespace, refName));
    return { ref };
  }
  if (!BASE64.test(data)) {
    report("spec.passwordSecret", issues.secretBadBase64(ctx.namespace, refName));
    return { ref };
  }
  const decoded = Buffer.from(data, "base64").toString("utf8");
  if (hasNewline(decoded)) report("spec.passwordSecret", issues.passwordCharacters());
  return { password: decoded, ref };
}
