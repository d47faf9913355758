/**
 * Layer 2 mode: the pure core the speaker wires to sockets, Kubernetes and metrics.
 *
 *   frames       ethernet.ts, arp.ts, ndp.ts   Buffer <-> object codecs; malformed input -> typed drop (drop.ts)
 *   answering    responder.ts, ownership.ts    decideAnswer(frame, iface, ownership); Responder over PacketConns
 *   takeover     announcer.ts                  gratuitous ARP / unsolicited NA bursts (0, 1.1, ... < 5 s)
 *   election     election.ts                   rendezvous hashing; ordered candidates (owner, heir, ...)
 *   liveness     heartbeat.ts, beacon.ts,      signed UDP heartbeats every 75 ms; dead after 250 ms;
 *                liveness.ts, heartbeat-udp.ts partition policy and start-up grace (docs/adr/0002);
 *                heartbeat-keys.ts             keys from the Secret `memberlist` (MetalLB's), rotation
 *   the loop     announcements.ts, handover.ts services + membership -> owned IPs; graceful handover on SIGTERM
 *   seams        packet-conn.ts, clock.ts,     PacketConn (native PacketSocket satisfies it), Clock,
 *                metrics.ts, prom-metrics.ts   L2Metrics (MetalLB's metric names)
 *   tests only   sim-cluster.ts                several speakers on one fake clock over a simulated network
 */
export { Announcer, DEFAULT_BURST, gratuitousFrames, gratuitousSender, type BurstPolicy } from "./announcer";
export { L2Announcements, type AnnouncedService } from "./announcements";
export { Beacon, DEFAULT_HEARTBEAT_INTERVAL_MS, type BeaconOptions } from "./beacon";
export { FakeClock, realClock, type Clock, type TimerHandle } from "./clock";
export { elect, electedOwner, EXCLUDE_LB_LABEL, nextOwnerWithout, rendezvousHash } from "./election";
export type { ElectionAdvertisement, ElectionInput, ElectionNode, ElectionResult, ExclusionReason } from "./election";
export { Handover, DEFAULT_HANDOVER_TIMEOUT_MS, type HandoverOutcome } from "./handover";
export { decodeHeartbeat, encodeHeartbeat, type Heartbeat, type HeartbeatRejectReason } from "./heartbeat";
export { heartbeatKeysFromSecret, HEARTBEAT_SECRET_NAME, type HeartbeatKeys } from "./heartbeat-keys";
export { DEFAULT_HEARTBEAT_PORT, UdpHeartbeatTransport, type HeartbeatPeer, type UdpHeartbeatOptions } from "./heartbeat-udp";
export { DEFAULT_HEARTBEAT_TIMEOUT_MS, Membership, type HeartbeatVerdict, type LivenessOptions, type PartitionPolicy } from "./liveness";
export { CountingL2Metrics, type L2Metrics } from "./metrics";
export { solicitedNodeMac, solicitedNodeMulticast } from "./ndp";
export { OwnershipTable } from "./ownership";
export { RecordingPacketConn, type PacketConn } from "./packet-conn";
export { PromL2Metrics } from "./prom-metrics";
export { decideAnswer, Responder, type Decision, type InterfaceInfo, type Ownership, type ResponderInterface } from "./responder";
