/**
 * Child process for bed.netns.spec.ts.
 *   interfaces        print this process's network interface names (run inside a namespace)
 *   exit | wait       build a bed with one node, start a sleep in it, print its namespaces and the
 *                     sleep's PID, then exit without teardown (exit) or wait for a signal (wait)
 */
import { networkInterfaces } from "node:os";
import { Bed } from "../bed";

const mode = process.argv[2];
if (mode === "interfaces") {
  console.log(`interfaces ${Object.keys(networkInterfaces()).sort().join(",")}`);
} else {
  void Bed.create({ nodes: 1 }).then((bed) => {
    const sleeper = bed.nodes[0]?.ns.spawn(["sleep", "600"]);
    console.log(`bed ${JSON.stringify({ namespaces: bed.namespaces.map((ns) => ns.name), pid: sleeper?.pid })}`);
    if (mode === "exit") process.exit(0);
    setInterval(() => undefined, 60_000);
  });
}
