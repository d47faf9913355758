/**
 * The speaker DaemonSet: one pod per node, on the node's network, allowed to open AF_PACKET sockets
 * and nothing else a root process could normally do.
 *
 * Security decisions (docs/install.md repeats them for operators):
 * - Capabilities: drop ALL, add NET_RAW and SYS_NICE. NET_RAW is for the AF_PACKET sockets of the ARP/NDP
 *   responders. SYS_NICE lets the BFD process put its own thread in SCHED_RR (speaker/bfd/bfd-isolated-main.ts,
 *   native setThreadRealtime, docs/adr/0007), and the heartbeat's sending thread do the same
 *   (native/heartbeat_thread.c, docs/adr/0013): on a node whose cores are busy, BFD at 100 ms x 3 otherwise
 *   waits behind every other runnable thread and flaps (docs/benchmarks.md, BFD soak), and late
 *   heartbeats move IPs. It reaches only the processes of the pod's own PID namespace (no hostPID). NET_ADMIN is not needed: interfaces and addresses are only read over netlink, the
 *   addon joins multicast/allmulti through PACKET_ADD_MEMBERSHIP on its own socket (no capability
 *   check), TCP MD5 keys and TTL filters are per-socket options, and no VIP is ever added to an
 *   interface. Nothing binds below 1024 (BGP only dials out; BFD 3784, heartbeats 7946, metrics 7472),
 *   so NET_BIND_SERVICE is not needed either.
 * - runAsUser 0, not runAsNonRoot: Kubernetes puts added capabilities into the permitted and effective
 *   sets only for uid 0. A non-root process would get NET_RAW only through file capabilities on the
 *   node binary, which no_new_privs (allowPrivilegeEscalation: false) blocks. Root here holds no
 *   capability but NET_RAW and SYS_NICE (so no DAC_OVERRIDE, CHOWN, SETUID...), cannot escalate, and sees a
 *   read-only root filesystem.
 * - No CPU limit by default, on purpose: CFS throttling delays ARP replies and heartbeats, and a late
 *   heartbeat is a failover. Memory is limited; CPU is requested (speaker-pod-settings.ts).
 */
import type { PartitionPolicy } from "../core/election/liveness";
import { HEARTBEAT_PORT, METRICS_PORT, SPEAKER_LABELS, SPEAKER_NAME, SPEAKER_SELECTOR } from "./names";
import { DEFAULT_SPEAKER_NODE_SELECTOR, DEFAULT_SPEAKER_RESOURCES, DEFAULT_SPEAKER_TOLERATIONS, type SpeakerPodSettings } from "./speaker-pod-settings";

export interface SpeakerDaemonSetOptions extends SpeakerPodSettings {
  namespace: string;
  image: string;
  /** The controller's LODESTONE_LB_CLASS: the speakers must handle the same Services. */
  lbClass?: string;
  /** The controller's LODESTONE_PARTITION_POLICY: every speaker must run the same one. */
  partitionPolicy?: PartitionPolicy;
  /**
   * The controller's LODESTONE_SPEAKER_METRICS_TLS_SECRET: a `kubernetes.io/tls` Secret in the
   * namespace; the speakers then serve their metrics over HTTPS to authorized clients only
   * (observability/secure-settings.ts).
   */
  metricsTLSSecret?: string;
}

const METRICS_TLS_DIR = "/etc/lodestone/metrics-tls";

/** apps/v1 DaemonSet as plain JSON (the fields Lodestone sets; the API server defaults the rest). */
export type DaemonSet = ReturnType<typeof speakerDaemonSet>;

// /healthz and /readyz: answered to anyone in both modes (secure metrics would refuse the kubelet's unauthenticated probe).
/** Alive while the process serves HTTP at all: a speaker that cannot reach the API is not restarted for it. */
const livenessProbe = (tls: boolean) => ({
  httpGet: { path: "/healthz", port: METRICS_PORT, ...(tls ? { scheme: "HTTPS" } : {}) },
  initialDelaySeconds: 10,
  periodSeconds: 10,
  timeoutSeconds: 2,
  failureThreshold: 3,
});

/** Ready while its view of the cluster is current (speaker.ts readiness()): a blind speaker shows 0/1 within 2 s. */
const readinessProbe = (tls: boolean) => ({
  httpGet: { path: "/readyz", port: METRICS_PORT, ...(tls ? { scheme: "HTTPS" } : {}) },
  initialDelaySeconds: 2,
  periodSeconds: 2,
  timeoutSeconds: 1,
  failureThreshold: 1,
});

export function speakerDaemonSet(opts: SpeakerDaemonSetOptions) {
  const tls = opts.metricsTLSSecret !== undefined && opts.metricsTLSSecret !== "";
  return {
    apiVersion: "apps/v1" as const,
    kind: "DaemonSet" as const,
    metadata: { name: SPEAKER_NAME, namespace: opts.namespace, labels: { ...SPEAKER_LABELS } },
    spec: {
      selector: { matchLabels: { ...SPEAKER_SELECTOR } },
      // One node at a time: the others keep announcing (L2 fails over, BGP keeps ECMP paths).
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { ...SPEAKER_LABELS } },
        spec: {
          serviceAccountName: SPEAKER_NAME,
          hostNetwork: true,
          // hostNetwork pods get the node's resolv.conf unless told to use the cluster DNS.
          dnsPolicy: "ClusterFirstWithHostNet",
          nodeSelector: structuredClone(opts.nodeSelector ?? DEFAULT_SPEAKER_NODE_SELECTOR),
          tolerations: structuredClone(opts.tolerations ?? DEFAULT_SPEAKER_TOLERATIONS),
          // Enough to withdraw BGP routes and stop answering ARP/NDP before the kill.
          terminationGracePeriodSeconds: 10,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "speaker",
              image: opts.image,
              imagePullPolicy: "IfNotPresent",
              env: [
                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                { name: "LODESTONE_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                // On the host network this is the node's address: heartbeats bind to it, as memberlist does.
                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                ...(opts.lbClass ? [{ name: "LODESTONE_LB_CLASS", value: opts.lbClass }] : []),
                ...(opts.partitionPolicy ? [{ name: "LODESTONE_PARTITION_POLICY", value: opts.partitionPolicy }] : []),
                ...(tls ? [{ name: "LODESTONE_METRICS_TLS_DIR", value: METRICS_TLS_DIR }] : []),
              ],
              ports: [
                { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
                { name: "heartbeat", containerPort: HEARTBEAT_PORT, protocol: "UDP" },
              ],
              livenessProbe: livenessProbe(tls),
              readinessProbe: readinessProbe(tls),
              resources: structuredClone(opts.resources ?? DEFAULT_SPEAKER_RESOURCES),
              securityContext: {
                runAsUser: 0,
                runAsGroup: 0,
                runAsNonRoot: false,
                privileged: false,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"], add: ["NET_RAW", "SYS_NICE"] },
              },
              // The root filesystem is read-only; a small /tmp for diagnostics (heap snapshots, reports) on request.
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(tls ? [{ name: "metrics-tls", mountPath: METRICS_TLS_DIR, readOnly: true }] : [])],
            },
          ],
          volumes: [
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "32Mi" } },
            ...(tls ? [{ name: "metrics-tls", secret: { secretName: opts.metricsTLSSecret } }] : []),
          ],
        },
      },
    },
  };
}
