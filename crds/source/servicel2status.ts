/** ServiceL2Status: written by the speaker that announces a Service in layer 2 mode. */
import type { KindSource } from "./kind";
import { list, obj, str } from "./schema";
import { emptySpec, serviceIdentity } from "./service-status-common";

export const serviceL2Status: KindSource = {
  kind: "ServiceL2Status",
  plural: "servicel2statuses",
  singular: "servicel2status",
  origin: "metallb",
  typesFile: "servicel2status",
  examples: [],
  description:
    "Written by the speaker that announces a Service in layer 2 mode: which node answers ARP/NDP for its addresses, and on which interfaces. Its name starts with l2- and it is labelled with the node, Service name and namespace.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "Allocated Node", type: "string", jsonPath: ".status.node" },
        { name: "Service Name", type: "string", jsonPath: ".status.serviceName" },
        { name: "Service Namespace", type: "string", jsonPath: ".status.serviceNamespace" },
      ],
      spec: emptySpec("ServiceL2Status"),
      status: obj("Where the Service is announced.", {
        ...serviceIdentity(),
        interfaces: list(
          "The interfaces the node announces on.",
          obj("One interface.", { name: str("The interface name.") }, { required: ["name"], tsName: "ServiceL2StatusInterface" }),
        ),
      }),
    },
  ],
};
