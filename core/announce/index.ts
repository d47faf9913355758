/**
 * What this node announces, and how (shared by the L2 and the BGP speaker).
 *
 *   inputs.ts   Services, EndpointSlices, Nodes from plain JSON -> SpeakerService, EndpointSliceView, ElectionNode
 *   endpoints.ts  which endpoints count: ready ones, else serving (terminating) ones, or all with publishNotReadyAddresses
 *   desired.ts  computeDesired(config, services, slices, nodes, node) -> L2 services (election inputs),
 *               BGP routes this node advertises, and a verdict per Service (with the reason when unannounced)
 */
export { computeDesired, poolOf, type AnnounceInput, type BGPAnnouncement, type BGPNodeReason, type BGPRoute, type DesiredState, type NotAnnounced, type NotAnnouncedReason, type ServiceVerdict } from "./desired";
export { countingEndpoints } from "./endpoints";
export { endpointConditions, ingressIPs, readEndpointSlice, readNode, readService, SERVICE_NAME_LABEL, type EndpointSliceView, type EndpointView, type SpeakerService } from "./inputs";
