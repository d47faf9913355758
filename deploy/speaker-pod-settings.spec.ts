import { describe, expect, it } from "vitest";
import { installManifests } from "./manifests";
import { speakerDaemonSet } from "./speaker-daemonset";
import { speakerPodSettings } from "./speaker-pod-settings";

describe("the speaker pods' nodeSelector, tolerations and resources from the controller's env", () => {
  it("reads each one as JSON", () => {
    expect(
      speakerPodSettings({
        LODESTONE_SPEAKER_NODE_SELECTOR: '{"lb":"yes"}',
        LODESTONE_SPEAKER_TOLERATIONS: '[{"key":"lb","operator":"Equal","value":"only","effect":"NoExecute","tolerationSeconds":30}]',
        LODESTONE_SPEAKER_RESOURCES: '{"requests":{"cpu":"100m"}}',
      }),
    ).toEqual({
      nodeSelector: { lb: "yes" },
      tolerations: [{ key: "lb", operator: "Equal", value: "only", effect: "NoExecute", tolerationSeconds: 30 }],
      resources: { requests: { cpu: "100m" } },
      errors: [],
    });
    expect(speakerPodSettings({})).toEqual({ errors: [] });
  });

  it("names a refused value and leaves it out (the default stays)", () => {
    expect(
      speakerPodSettings({
        LODESTONE_SPEAKER_NODE_SELECTOR: '{"lb":true}',
        LODESTONE_SPEAKER_TOLERATIONS: "[{key: lb}]",
        LODESTONE_SPEAKER_RESOURCES: '{"limit":{"memory":"1Gi"}}',
      }),
    ).toEqual({
      errors: [
        'LODESTONE_SPEAKER_NODE_SELECTOR needs a JSON object of label values, e.g. {"kubernetes.io/os":"linux"}, got {"lb":true}',
        expect.stringMatching(/^LODESTONE_SPEAKER_TOLERATIONS: not JSON \(/),
        'LODESTONE_SPEAKER_RESOURCES needs a JSON object with requests and/or limits of quantities as strings, e.g. {"limits":{"memory":"448Mi"}}, got {"limit":{"memory":"1Gi"}}',
      ],
    });
  });

  it("puts them into the DaemonSet, and into the controller's env in the one manifest", () => {
    const opts = { namespace: "lb", image: "i", nodeSelector: { lb: "yes" }, tolerations: [], resources: { limits: { memory: "1Gi" } } };
    const pod = speakerDaemonSet(opts).spec.template.spec;
    expect([pod.nodeSelector, pod.tolerations, pod.containers[0]?.resources]).toEqual([{ lb: "yes" }, [], { limits: { memory: "1Gi" } }]);
    const watcher = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "pepr-lodestone-watcher" }, spec: { template: { spec: { containers: [{ env: [] }] } } } };
    const [printed] = installManifests([watcher], opts);
    expect((printed as unknown as typeof watcher).spec.template.spec.containers[0]?.env).toEqual([
      { name: "LODESTONE_NAMESPACE", value: "lb" },
      { name: "LODESTONE_SPEAKER_IMAGE", value: "i" },
      { name: "LODESTONE_SPEAKER_NODE_SELECTOR", value: '{"lb":"yes"}' },
      { name: "LODESTONE_SPEAKER_TOLERATIONS", value: "[]" },
      { name: "LODESTONE_SPEAKER_RESOURCES", value: '{"limits":{"memory":"1Gi"}}' },
    ]);
  });
});
