/**
 * What the controller puts in the cluster when its watcher starts, because `pepr deploy` cannot:
 * the Lodestone namespace, the metallb.io CRDs, the speaker (identity and DaemonSet), and the split
 * of Pepr's webhook registration. Every step is idempotent (server-side apply, patch only on a
 * difference), so running it on every start is how upgrades roll out.
 *
 * `installPlan` is pure; `install` runs it over a DeployPort; `installWithRetry` keeps trying, since
 * Pepr's watcher has no retry of its own and the speaker must not stay missing after an API blip.
 */
import type { PartitionPolicy } from "../core/election/liveness";
import { allCRDs } from "../crds";
import { refOf, type DeployPort, type Manifest } from "./deploy-port";
import { ApiError } from "../kube/controller-port";
import { CONTROLLER_ROLE, PEPR_MODULE_NAME, SPEAKER_LABELS } from "./names";
import { ensureSpeakerSecrets } from "./prerequisites";
import { speakerDaemonSet } from "./speaker-daemonset";
import type { SpeakerPodSettings } from "./speaker-pod-settings";
import { speakerIdentity } from "./speaker-rbac";
import { webhookSplitPatches } from "./webhook-split";
import { logger, type Logger } from "../observability/log";

export interface InstallOptions extends SpeakerPodSettings {
  /** The Lodestone namespace (configuration and speaker). */
  namespace: string;
  /** The speaker's image. */
  image: string;
  /** The controller's load-balancer class, handed on to the speakers. */
  lbClass?: string;
  /** The controller's partition policy for the speakers (unset: their default). */
  partitionPolicy?: PartitionPolicy;
  /** A kubernetes.io/tls Secret for the speakers' secure metrics (unset: plain HTTP). */
  metricsTLSSecret?: string;
  /** Name of Pepr's webhook configurations (`pepr-<uuid>`). */
  webhookConfigName?: string;
  /** How long to wait for each CRD to be Established. */
  establishTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The heartbeat key, when the Secret is created (default: 32 random bytes). */
  newKey?: () => Buffer;
  /** Default: the process logger, component "install". */
  log?: Logger;
  /**
   * Called once the CRDs are Established, before the speaker and webhook steps: what needs the
   * metallb.io kinds served (the allocator) starts here, so a failing speaker step cannot hold it back.
   */
  onCRDsEstablished?: () => void;
}

export interface InstallPlan {
  namespace: Manifest;
  crds: Manifest[];
  /** Identity first, DaemonSet last: pods must never start without their ServiceAccount and roles. */
  speaker: Manifest[];
}

export function installPlan(opts: Pick<InstallOptions, "namespace" | "image" | "lbClass" | "partitionPolicy" | "metricsTLSSecret" | keyof SpeakerPodSettings>): InstallPlan {
  const id = speakerIdentity(opts.namespace);
  return {
    namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: opts.namespace, labels: { "app.kubernetes.io/part-of": SPEAKER_LABELS["app.kubernetes.io/name"] } } },
    crds: allCRDs.map(c => c as unknown as Manifest),
    speaker: [id.serviceAccount, id.clusterRole, id.clusterRoleBinding, id.role, id.roleBinding, speakerDaemonSet(opts)] as Manifest[],
  };
}

const ESTABLISH_POLL_MS = 200;
const defaultSleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

function established(crd: Record<string, unknown> | undefined): boolean {
  const conditions = (crd?.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) && conditions.some(c => (c as { type?: unknown }).type === "Established" && (c as { status?: unknown }).status === "True");
}

const describe = (m: Manifest) => `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}`;

/** Runs the plan once; throws on the first failure (the caller retries). Returns what it did, in order. */
export async function install(port: DeployPort, opts: InstallOptions): Promise<string[]> {
  const done: string[] = [];
  const sleep = opts.sleep ?? defaultSleep;
  const plan = installPlan(opts);
  const apply = async (m: Manifest) => {
    await port.apply(m);
    done.push(`applied ${describe(m)}`);
  };

  await apply(plan.namespace);
  for (const crd of plan.crds) await apply(crd);
  // The controller lists the metallb.io kinds right after this returns: they must be served by then.
  const attempts = Math.max(1, Math.ceil((opts.establishTimeoutMs ?? 30_000) / ESTABLISH_POLL_MS));
  for (const crd of plan.crds) {
    for (let i = 0; !established(await port.get(refOf(crd))); i++) {
      if (i + 1 >= attempts) throw new Error(`CRD ${crd.metadata.name} is not Established after ${opts.establishTimeoutMs ?? 30_000} ms`);
      await sleep(ESTABLISH_POLL_MS);
    }
  }
  done.push(`established ${plan.crds.length} CRDs`);
  opts.onCRDsEstablished?.();
  await speakerSecrets(port, opts, done);
  for (const m of plan.speaker) await apply(m);

  const name = opts.webhookConfigName ?? PEPR_MODULE_NAME;
  const ref = (kind: string) => ({ apiVersion: "admissionregistration.k8s.io/v1", kind, name });
  const validatingRef = ref("ValidatingWebhookConfiguration");
  const mutatingRef = ref("MutatingWebhookConfiguration");
  const patches = webhookSplitPatches(await port.get(validatingRef), await port.get(mutatingRef));
  // Not an error to retry: the registration stays as `pepr deploy` made it (fail closed for every kind),
  // which admits everything it should; the split is an improvement, never worth losing admission for.
  for (const refusal of patches.refused) {
    (opts.log ?? logger("install")).warn(`lodestone install: webhook split refused, registration kept as it is: ${refusal}`);
    done.push(`kept ${refusal}`);
  }
  if (patches.validating) {
    await port.mergePatch(validatingRef, patches.validating);
    done.push(`split ValidatingWebhookConfiguration ${name}`);
  }
  if (patches.mutating) {
    await port.mergePatch(mutatingRef, patches.mutating);
    done.push(`split MutatingWebhookConfiguration ${name}`);
  }
  return done;
}

/**
 * The heartbeat Secret (when absent) and the speakers' Secret Role, before their DaemonSet. Refused
 * (403: the Role lodestone-controller is missing, as after a bare `pepr deploy`) is logged and
 * not retried: the rest of the install must not wait for it, and a Secret made by hand is used as it is.
 */
async function speakerSecrets(port: DeployPort, opts: InstallOptions, done: string[]): Promise<void> {
  try {
    const r = await ensureSpeakerSecrets(port, opts.namespace, opts.newKey);
    done.push(...r.lines);
    if (r.secretProblem !== undefined) (opts.log ?? logger("install")).warn(`lodestone install: ${r.secretProblem}`);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
    const why = `the heartbeat Secret and the speakers' Secret Role were not made (${e.message}): the Role ${CONTROLLER_ROLE} is missing or older than this release; run npx lodestone prepare -n ${opts.namespace} (docs/install.md)`;
    (opts.log ?? logger("install")).warn(`lodestone install: ${why}`);
    done.push(`kept ${why}`);
  }
}

/** `install` until it succeeds, waiting 1 s, 2 s, 4 s ... up to `maxDelayMs` between attempts. */
export async function installWithRetry(port: DeployPort, opts: InstallOptions & { maxDelayMs?: number }): Promise<string[]> {
  const sleep = opts.sleep ?? defaultSleep;
  const log = opts.log ?? logger("install");
  let notified = false;
  const onCRDsEstablished = () => {
    if (notified) return;
    notified = true;
    opts.onCRDsEstablished?.();
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const done = await install(port, { ...opts, onCRDsEstablished });
      log.info(`lodestone install: ${done.length} steps done (${done.filter(d => d.startsWith("split")).length} webhook registrations split)`);
      return done;
    } catch (e) {
      const delay = Math.min(1000 * 2 ** attempt, opts.maxDelayMs ?? 30_000);
      log.warn(`lodestone install: ${e instanceof Error ? e.message : String(e)}; retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}
