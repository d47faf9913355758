/** ServiceBGPStatus: written by each speaker that advertises a Service by BGP. */
import type { KindSource } from "./kind";
import { list, obj, str } from "./schema";
import { emptySpec, serviceIdentity } from "./service-status-common";

export const serviceBGPStatus: KindSource = {
  kind: "ServiceBGPStatus",
  plural: "servicebgpstatuses",
  singular: "servicebgpstatus",
  origin: "metallb",
  typesFile: "servicebgpstatus",
  examples: [],
  description:
    "Written by each speaker that advertises a Service by BGP, one per (Service, node): the BGPPeers the Service is configured to be advertised to. Its name starts with bgp- and it is labelled with the node, Service name and namespace.",
  versions: [
    {
      name: "v1beta1",
      served: true,
      storage: true,
      statusSubresource: true,
      printerColumns: [
        { name: "Node", type: "string", jsonPath: ".status.node" },
        { name: "Service Name", type: "string", jsonPath: ".status.serviceName" },
        { name: "Service Namespace", type: "string", jsonPath: ".status.serviceNamespace" },
      ],
      spec: emptySpec("ServiceBGPStatus"),
      status: obj("Where the Service is advertised.", {
        ...serviceIdentity(),
        peers: list(
          "The BGPPeers the node is configured to advertise the Service to (not whether those sessions are up).",
          str("A BGPPeer name."),
        ),
      }),
    },
  ],
};
