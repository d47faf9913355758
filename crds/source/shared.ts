/**
 * Shapes used by several kinds, the same as Kubernetes' own (metav1.LabelSelector, metav1.Condition,
 * core SecretReference). Their TypeScript interfaces are generated once, into crds/types/common.ts.
 */
import { dateTime, int64, list, obj, str, stringMap, type SourceSchema } from "./schema";

export const labelSelectorRequirement: SourceSchema = obj(
  "One requirement: a label key, an operator relating the key to a set of values, and the values.",
  {
    key: str("The label key the requirement applies to."),
    operator: str("How the key relates to the values: In, NotIn, Exists or DoesNotExist."),
    values: list(
      "The values to compare with. Must be non-empty for In and NotIn, and empty for Exists and DoesNotExist.",
      str("One value."),
      { "x-kubernetes-list-type": "atomic" },
    ),
  },
  { required: ["key", "operator"], tsName: "LabelSelectorRequirement", tsShared: true },
);

export const labelSelector: SourceSchema = obj(
  "A label query over objects. Requirements are ANDed; an empty selector matches every object.",
  {
    matchExpressions: list("Requirements on labels, all of which must hold.", labelSelectorRequirement, {
      "x-kubernetes-list-type": "atomic",
    }),
    matchLabels: stringMap(
      "Labels that must be present with exactly these values; the same as one In requirement per entry.",
      str("The required label value."),
    ),
  },
  { "x-kubernetes-map-type": "atomic", tsName: "LabelSelector", tsShared: true },
);

/** A list of label selectors, any one of which may match (OR). */
export function selectorList(description: string): SourceSchema {
  return list(description, labelSelector);
}

export const secretReference: SourceSchema = obj(
  "A reference to a Secret by name and namespace.",
  {
    name: str("Name of the Secret."),
    namespace: str("Namespace of the Secret; the object's own namespace when empty."),
  },
  { "x-kubernetes-map-type": "atomic", tsName: "SecretReference", tsShared: true },
);

export const condition: SourceSchema = obj(
  "One aspect of the current state of an object, in the standard Kubernetes condition shape.",
  {
    type: str("The aspect this condition describes, in CamelCase.", {
      maxLength: 316,
      pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: str("Whether the condition holds.", { enum: ["True", "False", "Unknown"] }),
    observedGeneration: int64("The metadata.generation of the object this condition was computed from.", { minimum: 0 }),
    lastTransitionTime: dateTime("When the status last changed from one value to another."),
    reason: str("A CamelCase word that says why the condition has its status.", {
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    }),
    message: str("A human-readable explanation; may be empty.", { maxLength: 32768 }),
  },
  { required: ["type", "status", "lastTransitionTime", "reason", "message"], tsName: "Condition", tsShared: true },
);
