/**
 * The admission registration for Lodestone's webhooks, from the rules of webhook-rules.ts.
 *
 * Pepr generates one webhook with one failurePolicy for everything. Lodestone needs two: its own
 * metallb.io kinds fail closed (a bad pool must never slip in while the webhook is down), while
 * Services fail open, so that a Lodestone outage can never block an application's deploy.
 */
import { WEBHOOK_RULES, type WebhookPart, type WebhookRule, type WebhookType } from "../capabilities/admission/webhook-rules";

export interface WebhookClient {
  /** `https://host:port` of the webhook server, for out-of-cluster runs... */
  baseUrl?: string;
  /** ...or the in-cluster Service that fronts it. */
  service?: { name: string; namespace: string; port?: number };
  /** The Pepr API path secret (`/validate/<apiPath>`). */
  apiPath: string;
  caBundle: string;
}

/** Namespaces Pepr itself never admits (its bindings exclude them); the registration says so too. */
const IGNORED_NAMESPACES = ["kube-system", "pepr-system"];

function clientConfig(client: WebhookClient, type: WebhookType) {
  const path = `/${type}/${client.apiPath}`;
  return client.service
    ? { caBundle: client.caBundle, service: { ...client.service, path } }
    : { caBundle: client.caBundle, url: `${client.baseUrl}${path}` };
}

function webhook(name: string, client: WebhookClient, type: WebhookType, rules: readonly WebhookRule[], failurePolicy: "Fail" | "Ignore") {
  return {
    name,
    admissionReviewVersions: ["v1"],
    clientConfig: clientConfig(client, type),
    failurePolicy,
    matchPolicy: "Equivalent",
    timeoutSeconds: 10,
    namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: IGNORED_NAMESPACES }] },
    rules: rules.map(r => structuredClone(r)),
    sideEffects: "None",
  };
}

const PARTS: readonly { part: WebhookPart; policy: "Fail" | "Ignore" }[] = [
  { part: "config", policy: "Fail" },
  { part: "services", policy: "Ignore" },
];

/** The Validating and Mutating WebhookConfigurations (named `name`); webhooks with no rules are left out. */
export function webhookConfigurations(name: string, client: WebhookClient) {
  const make = (type: WebhookType) => {
    const webhooks = PARTS.filter(w => WEBHOOK_RULES[type][w.part].length > 0).map(w =>
      webhook(`${w.part}.${name}.dev`, client, type, WEBHOOK_RULES[type][w.part], w.policy),
    );
    return {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: type === "mutate" ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
      metadata: { name },
      webhooks,
    };
  };
  return { validating: make("validate"), mutating: make("mutate") };
}
