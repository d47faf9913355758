/** The network-namespace test bed: see bed.ts for the topology, process.ts for commands and daemons. */
export { Bed, Namespace, REPO_ROOT, BRIDGE, BRIDGE_MAC, ROUTER_IPV4, ROUTER_IPV6, NAMESPACE_PREFIX, listBedNamespaces, nodeCommand, runInNamespace } from "./bed";
export type { BedOptions, Host } from "./bed";
export { run, signal, Spawned } from "./process";
export type { Exit, RunOptions, RunResult } from "./process";
