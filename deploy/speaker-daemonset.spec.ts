import { describe, expect, it } from "vitest";
import { SPEAKER_POD_LABELS } from "../kube/speaker-port";
import { parseSpeakerArgs } from "../speaker/args";
import { speakerMetricsTLS, speakerPartitionPolicy } from "./index";
import { DEFAULT_SPEAKER_IMAGE, speakerImage } from "./names";
import { speakerDaemonSet } from "./speaker-daemonset";
import { speakerIdentity } from "./speaker-rbac";
import { recordingLogger } from "../test/observability/recording-logger";

const ds = speakerDaemonSet({ namespace: "metallb-system", image: "registry.example/lodestone/speaker:1.2.3" });
const pod = ds.spec.template.spec;
const container = pod.containers[0]!;

describe("speaker DaemonSet", () => {
  it("is named, placed and selected as the RBAC rules and the speaker expect", () => {
    expect(ds.metadata).toEqual({
      name: "lodestone-speaker",
      namespace: "metallb-system",
      labels: {
        app: "lodestone",
        component: "speaker",
        "app.kubernetes.io/name": "lodestone",
        "app.kubernetes.io/component": "speaker",
        "app.kubernetes.io/version": "0.1.0",
        "app.kubernetes.io/managed-by": "lodestone",
      },
    });
    expect(ds.spec.selector).toEqual({ matchLabels: { app: "lodestone", component: "speaker" } });
    // The speakers find each other's pods by these labels.
    expect(ds.spec.template.metadata.labels).toMatchObject(SPEAKER_POD_LABELS);
    // Every selector label is on the pod template, or the API server refuses the DaemonSet.
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) expect(ds.spec.template.metadata.labels).toHaveProperty([k], v);
    expect(pod.serviceAccountName).toBe("lodestone-speaker");
    expect(ds.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
  });

  it("runs on the node's network with the cluster DNS, on Linux nodes, control planes included", () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(pod.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(pod.tolerations).toEqual([
      { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
      { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
    ]);
  });

  it("holds NET_RAW and SYS_NICE (the BFD process's real-time priority) and no other capability, cannot escalate, and has a read-only root filesystem", () => {
    expect(container.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], add: ["NET_RAW", "SYS_NICE"] },
    });
    expect(pod.securityContext).toEqual({ seccompProfile: { type: "RuntimeDefault" } });
    // The only writable path is a small in-memory /tmp (diagnostics on request).
    expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "32Mi" } }]);
  });

  it("gets its image, node name and namespace as the speaker reads them", () => {
    expect(container.image).toBe("registry.example/lodestone/speaker:1.2.3");
    expect(container.env).toEqual([
      { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "LODESTONE_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    ]);
    const classed = speakerDaemonSet({ namespace: "metallb-system", image: "i", lbClass: "example.com/lb" }).spec.template.spec.containers[0]!;
    expect(classed.env.at(-1)).toEqual({ name: "LODESTONE_LB_CLASS", value: "example.com/lb" });
  });

  it("gives the speaker an environment its argument parser accepts, with the node's address for heartbeats", () => {
    const env = { NODE_NAME: "node-a", LODESTONE_NAMESPACE: "metallb-system", POD_IP: "192.0.2.11" };
    expect(container.env.map(e => e.name)).toEqual(Object.keys(env));
    const parsed = parseSpeakerArgs([], env);
    expect(parsed.ok && parsed.args).toMatchObject({ node: "node-a", namespace: "metallb-system", bindAddress: "192.0.2.11", metricsPort: 7472, heartbeatPort: 7946 });
  });

  it("hands the controller's partition policy to every speaker, which runs it", () => {
    const majority = speakerDaemonSet({ namespace: "metallb-system", image: "i", partitionPolicy: "majority" }).spec.template.spec.containers[0]!;
    expect(majority.env.at(-1)).toEqual({ name: "LODESTONE_PARTITION_POLICY", value: "majority" });
    const parsed = parseSpeakerArgs([], { NODE_NAME: "node-a", POD_IP: "192.0.2.11", LODESTONE_PARTITION_POLICY: "majority" });
    expect(parsed.ok && parsed.args.partitionPolicy).toBe("majority");
    expect(container.env.map(e => e.name)).not.toContain("LODESTONE_PARTITION_POLICY");
  });

  it("takes the policy from the controller's LODESTONE_PARTITION_POLICY, and never hands on one the speakers would refuse", () => {
    const { log, messages: logged } = recordingLogger();
    expect(speakerPartitionPolicy({ LODESTONE_PARTITION_POLICY: "majority" }, log)).toEqual({ partitionPolicy: "majority" });
    expect(speakerPartitionPolicy({ LODESTONE_PARTITION_POLICY: "availability" }, log)).toEqual({ partitionPolicy: "availability" });
    expect(speakerPartitionPolicy({}, log)).toEqual({});
    expect(speakerPartitionPolicy({ LODESTONE_PARTITION_POLICY: "" }, log)).toEqual({});
    expect(logged).toEqual([]);
    expect(speakerPartitionPolicy({ LODESTONE_PARTITION_POLICY: "majorty" }, log)).toEqual({});
    expect(logged).toEqual(['LODESTONE_PARTITION_POLICY needs availability or majority, got "majorty"; the speakers keep their default (availability)']);
  });

  it("serves secure metrics from the controller's LODESTONE_SPEAKER_METRICS_TLS_SECRET, probing over HTTPS", () => {
    const ds = speakerDaemonSet({ namespace: "metallb-system", image: "i", metricsTLSSecret: "speaker-metrics-tls" });
    const c = ds.spec.template.spec.containers[0]!;
    expect(c.env.at(-1)).toEqual({ name: "LODESTONE_METRICS_TLS_DIR", value: "/etc/lodestone/metrics-tls" });
    expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }, { name: "metrics-tls", mountPath: "/etc/lodestone/metrics-tls", readOnly: true }]);
    expect(ds.spec.template.spec.volumes.at(-1)).toEqual({ name: "metrics-tls", secret: { secretName: "speaker-metrics-tls" } });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: 7472, scheme: "HTTPS" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: 7472, scheme: "HTTPS" });
    expect(speakerMetricsTLS({ LODESTONE_SPEAKER_METRICS_TLS_SECRET: "speaker-metrics-tls" })).toEqual({ metricsTLSSecret: "speaker-metrics-tls" });
    expect(speakerMetricsTLS({})).toEqual({});
  });

  it("declares the metrics and heartbeat ports, probes liveness on /healthz and readiness on /readyz", () => {
    expect(container.ports).toEqual([
      { name: "metrics", containerPort: 7472, protocol: "TCP" },
      { name: "heartbeat", containerPort: 7946, protocol: "UDP" },
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: 7472 });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: 7472 });
    expect(container.readinessProbe.failureThreshold * container.readinessProbe.periodSeconds).toBe(2);
    expect(container.livenessProbe.failureThreshold * container.livenessProbe.periodSeconds).toBe(30);
  });

  it("requests CPU and memory, limits memory, and deliberately sets no CPU limit", () => {
    expect(container.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "448Mi" } });
  });
});

describe("speaker image", () => {
  it("comes from LODESTONE_SPEAKER_IMAGE, else this release's image", () => {
    expect(DEFAULT_SPEAKER_IMAGE).toBe("ghcr.io/lodestone/speaker:0.1.0");
    expect(speakerImage({})).toBe("ghcr.io/lodestone/speaker:0.1.0");
    expect(speakerImage({ LODESTONE_SPEAKER_IMAGE: "" })).toBe("ghcr.io/lodestone/speaker:0.1.0");
    expect(speakerImage({ LODESTONE_SPEAKER_IMAGE: "mirror.local/speaker:dev" })).toBe("mirror.local/speaker:dev");
  });
});

describe("speaker identity", () => {
  const id = speakerIdentity("lb");

  it("binds the ClusterRole and the Role to the speaker's ServiceAccount in the Lodestone namespace", () => {
    expect(id.serviceAccount.metadata).toMatchObject({ name: "lodestone-speaker", namespace: "lb" });
    const subjects = [{ kind: "ServiceAccount", name: "lodestone-speaker", namespace: "lb" }];
    expect(id.clusterRoleBinding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "lodestone-speaker" });
    expect(id.clusterRoleBinding.subjects).toEqual(subjects);
    expect(id.roleBinding.metadata).toMatchObject({ name: "lodestone-speaker", namespace: "lb" });
    expect(id.roleBinding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lodestone-speaker" });
    expect(id.roleBinding.subjects).toEqual(subjects);
    expect(id.role.metadata.namespace).toBe("lb");
    expect(id.clusterRole.metadata).not.toHaveProperty("namespace");
  });

  it("reads Services, Nodes and EndpointSlices cluster-wide and its configuration only in its namespace", () => {
    expect(id.clusterRole.rules.map(r => `${r.apiGroups[0]}/${r.resources.join(",")}: ${r.verbs.join(",")}`)).toEqual([
      "/services: list,watch",
      "/nodes: list,watch",
      "discovery.k8s.io/endpointslices: list,watch",
      "/events: create",
    ]);
    expect(id.role.rules.map(r => `${r.apiGroups[0]}/${r.resources.join(",")}: ${r.verbs.join(",")}`)).toEqual([
      "metallb.io/ipaddresspools,l2advertisements,bgpadvertisements,bgppeers,bfdprofiles,communities: list,watch",
      "/pods: list,watch",
      "metallb.io/servicel2statuses: create,delete,list,watch",
      "metallb.io/servicel2statuses/status: patch",
      "metallb.io/servicebgpstatuses: create,delete,list,watch",
      "metallb.io/servicebgpstatuses/status: patch",
      "metallb.io/bgppeers/status: patch",
      "metallb.io/configurationstates: create",
      "metallb.io/configurationstates/status: patch",
    ]);
  });
});
