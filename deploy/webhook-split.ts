/**
 * `pepr deploy` registers one webhook per type with one failurePolicy (`onError: reject` = Fail) for
 * every kind, Services included: a Lodestone outage would then block every application's deploy.
 * At start-up the controller rewrites Pepr's registration into the split of
 * deploy/webhook-configuration.ts (metallb.io kinds Fail, Services Ignore), keeping
 * the Service, path and CA that Pepr set up.
 *
 * Pure: the registration read from the API in, the merge patch (or nothing) out. A merge patch
 * replaces the whole `webhooks` list, which is what drops Pepr's single webhook, and what would drop
 * admission altogether if the new list lacked anything: the split is refused (no patch, a reason
 * instead) when it would leave a registration without webhooks or without a rule it has now.
 */
import { webhookConfigurations, type WebhookClient } from "./webhook-configuration";

/** Webhook names stay those of the out-of-cluster run (`config.lodestone.dev`, `services.lodestone.dev`). */
const WEBHOOK_BASE_NAME = "lodestone";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * The webhook client of an existing registration: its Service, CA and the API path secret from
 * `/<mutate|validate>/<apiPath>`. Undefined when the registration has no webhook pointing at a Service
 * (nothing Lodestone can safely rewrite).
 */
export function clientFromRegistration(registration: unknown): WebhookClient | undefined {
  // A re-run of `pepr deploy` applies Pepr's webhook again next to the split ones, with fresh keys:
  // Pepr's own entry, when present, is the current one.
  const hooks = arr(obj(registration).webhooks);
  const ours = (h: unknown) => str(obj(h).name)?.endsWith(`.${WEBHOOK_BASE_NAME}.dev`) === true;
  for (const hook of [...hooks.filter(h => !ours(h)), ...hooks.filter(ours)]) {
    const config = obj(obj(hook).clientConfig);
    const service = obj(config.service);
    const name = str(service.name);
    const namespace = str(service.namespace);
    const caBundle = str(config.caBundle);
    const apiPath = /^\/(?:mutate|validate)\/([^/]+)$/.exec(str(service.path) ?? "")?.[1];
    if (!name || !namespace || !caBundle || !apiPath) continue;
    const port = typeof service.port === "number" ? service.port : undefined;
    return { service: { name, namespace, ...(port !== undefined ? { port } : {}) }, apiPath, caBundle };
  }
  return undefined;
}

/** The parts of a webhook that decide what it admits and how it fails (API-server defaults left out). */
function essentials(hook: unknown) {
  const h = obj(hook);
  const config = obj(h.clientConfig);
  return {
    name: str(h.name),
    failurePolicy: str(h.failurePolicy),
    caBundle: str(config.caBundle),
    service: isObj(config.service) ? { name: str(config.service.name), namespace: str(config.service.namespace), path: str(config.service.path) } : undefined,
    url: str(config.url),
    namespaceSelector: JSON.stringify(h.namespaceSelector ?? null),
    rules: arr(h.rules).map(r => {
      const rule = obj(r);
      return [rule.apiGroups, rule.apiVersions, rule.operations, rule.resources].map(x => JSON.stringify(x ?? null)).join(" ");
    }),
  };
}

/** One (group, version, operation, resource) a webhook admits, as `group/version resource OPERATION`. */
function admittedRequests(hook: unknown): string[] {
  const out: string[] = [];
  for (const r of arr(obj(hook).rules)) {
    const rule = obj(r);
    const strs = (v: unknown) => arr(v).filter((x): x is string => typeof x === "string");
    for (const group of strs(rule.apiGroups))
      for (const version of strs(rule.apiVersions))
        for (const resource of strs(rule.resources)) for (const operation of strs(rule.operations)) out.push(`${group}/${version} ${resource} ${operation}`);
  }
  return out;
}

/** True when some rule of `hooks` admits the request (`*` matching anything, as the API server's rules do). */
function covered(request: string, hooks: readonly unknown[]): boolean {
  const [gv = "", resource = "", operation = ""] = request.split(" ");
  const [group = "", version = ""] = gv.split("/");
  const has = (list: unknown, value: string) => arr(list).some(x => x === value || x === "*");
  return hooks.some(h =>
    arr(obj(h).rules).some(r => {
      const rule = obj(r);
      return has(rule.apiGroups, group) && has(rule.apiVersions, version) && has(rule.resources, resource) && has(rule.operations, operation);
    }),
  );
}

/**
 * Why `desired` must not replace `existing`'s webhooks, or undefined when it may. The rules that count
 * are those of Pepr's own webhook when it is there (what the deployed module admits), else those of
 * the split already in place.
 */
export function splitRefusal(existing: unknown, desired: readonly unknown[]): string | undefined {
  if (desired.length === 0) return "the split has no webhook";
  const hooks = arr(obj(existing).webhooks);
  const ours = (h: unknown) => str(obj(h).name)?.endsWith(`.${WEBHOOK_BASE_NAME}.dev`) === true;
  const reference = hooks.some(h => !ours(h)) ? hooks.filter(h => !ours(h)) : hooks;
  const dropped = [...new Set(reference.flatMap(admittedRequests))].filter(request => !covered(request, desired));
  return dropped.length > 0 ? `the split would stop admitting ${dropped.join(", ")}` : undefined;
}

export interface WebhookSplitPatches {
  /** Merge patch for the ValidatingWebhookConfiguration, or undefined when it is already split (or refused). */
  validating?: { webhooks: unknown[] };
  mutating?: { webhooks: unknown[] };
  /** Registrations kept as they are because the split would have lost rules: `<Kind> <name>: <why>`. */
  refused: string[];
}

/**
 * Merge patches that turn Pepr's registrations into the split. Registrations that are absent
 * (undefined: an out-of-cluster run registers its own) or already split give no patch.
 */
export function webhookSplitPatches(validating: unknown, mutating: unknown): WebhookSplitPatches {
  const out: WebhookSplitPatches = { refused: [] };
  for (const [type, existing] of [
    ["validating", validating],
    ["mutating", mutating],
  ] as const) {
    if (existing === undefined) continue;
    const client = clientFromRegistration(existing);
    if (!client) continue;
    const desired = webhookConfigurations(WEBHOOK_BASE_NAME, client)[type].webhooks;
    const same = JSON.stringify(arr(obj(existing).webhooks).map(essentials)) === JSON.stringify(desired.map(essentials));
    if (same) continue;
    const refusal = splitRefusal(existing, desired);
    if (refusal) {
      const meta = obj(obj(existing).metadata);
      out.refused.push(`${type === "validating" ? "ValidatingWebhookConfiguration" : "MutatingWebhookConfiguration"} ${str(meta.name) ?? "?"}: ${refusal}`);
    } else out[type] = { webhooks: desired };
  }
  return out;
}
