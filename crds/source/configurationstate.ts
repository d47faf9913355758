/** ConfigurationState: status-only, one per component, saying whether its configuration is valid. */
import type { KindSource } from "./kind";
import { list, obj, str } from "./schema";
import { condition } from "./shared";

export const configurationState: KindSource = {
  kind: "ConfigurationState",
  plural: "configurationstates",
  singular: "configurationstate",
  origin: "metallb",
  typesFile: "configurationstate",
  examples: [],
  description:
    "Whether one component (the controller, or the speaker of one node) accepts the current metallb.io configuration, and if not, why. Named `controller` or `speaker-<node>`.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "Result", type: "string", jsonPath: ".status.result" },
        { name: "ErrorSummary", type: "string", jsonPath: ".status.errorSummary" },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
      status: obj("The outcome of the component's last configuration check.", {
        result: str("The overall verdict: Valid, Invalid, or Unknown before the first check.", {
          enum: ["Valid", "Invalid", "Unknown"],
        }),
        errorSummary: str("Every problem found, one per line; empty when the configuration is valid."),
        conditions: list(
          "Per-reconciler detail: configReconcilerValid and poolReconcilerValid, with reasons Reconciled, ConfigurationError, InfraError or UnknownError.",
          condition,
          { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
        ),
      }),
    },
  ],
};
