/**
 * The admission registration for Lodestone's webhooks, derived from the capability's bindings.
 *
 * Pepr generates one webhook with one failurePolicy for everything. Lodestone needs two: its own
 * metallb.io kinds fail closed (a bad pool must never slip in while the webhook is down), while
 * Services fail open, so that a Lodestone outage can never block an application's deploy.
 */
import type { Capability } from "pepr";

export interface WebhookClient {
  /** `https://host:port` of the webhook server, for out-of-cluster runs... */
  baseUrl?: string;
  /** ...or the in-cluster Service that fronts it. */
  service?: { name: string; namespace: string; port?: number };
  /** The Pepr API path secret (`/validate/<apiPath>`). */
  apiPath: string;
  caBundle: string;
}

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

type WebhookType = "mutate" | "validate";

/** Namespaces Pepr itself never admits (its bindings exclude them); the registration says so too. */
const IGNORED_NAMESPACES = ["kube-system", "pepr-system"];

function rulesFor(capabilities: readonly Capability[], type: WebhookType, ownKinds: boolean): Rule[] {
  const rules = new Map<string, Rule>();
  for (const binding of capabilities.flatMap(c => c.bindings)) {
    if (type === "mutate" ? !binding.isMutate : !binding.isValidate) continue;
    if ((binding.kind.group === "metallb.io") !== ownKinds) continue;
    const operations = binding.event === "CREATEORUPDATE" ? ["CREATE", "UPDATE"] : binding.event === "*" ? ["*"] : [binding.event];
    const rule: Rule = {
      apiGroups: [binding.kind.group],
      apiVersions: [binding.kind.version ?? "*"],
      operations,
      resources: [binding.kind.plural ?? `${binding.kind.kind.toLowerCase()}s`],
    };
    rules.set(JSON.stringify(rule), rule);
  }
  return [...rules.values()];
}

function clientConfig(client: WebhookClient, type: WebhookType) {
  const path = `/${type}/${client.apiPath}`;
  return client.service
    ? { caBundle: client.caBundle, service: { ...client.service, path } }
    : { caBundle: client.caBundle, url: `${client.baseUrl}${path}` };
}

function webhook(name: string, client: WebhookClient, type: WebhookType, rules: Rule[], failurePolicy: "Fail" | "Ignore") {
  return {
    name,
    admissionReviewVersions: ["v1"],
    clientConfig: clientConfig(client, type),
    failurePolicy,
    matchPolicy: "Equivalent",
    timeoutSeconds: 10,
    namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: IGNORED_NAMESPACES }] },
    rules,
    sideEffects: "None",
  };
}

/** The Validating and Mutating WebhookConfigurations (named `name`) for the given capabilities. */
export function webhookConfigurations(name: string, capabilities: readonly Capability[], client: WebhookClient) {
  const make = (type: WebhookType) => {
    const webhooks = [
      { suffix: "config", own: true, policy: "Fail" as const },
      { suffix: "services", own: false, policy: "Ignore" as const },
    ]
      .map(w => ({ ...w, rules: rulesFor(capabilities, type, w.own) }))
      .filter(w => w.rules.length > 0)
      .map(w => webhook(`${w.suffix}.${name}.dev`, client, type, w.rules, w.policy));
    return {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: type === "mutate" ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
      metadata: { name },
      webhooks,
    };
  };
  return { validating: make("validate"), mutating: make("mutate") };
}
