/** Times parseConfig on a large configuration: `npx tsx test/config/testdata/bench.ts`. */
import { parseConfig } from "../../../core/config/parse";
import { bgpAdv, l2, NS, peer, pool } from "./objects";

const objects: unknown[] = [];
for (let i = 0; i < 2000; i++) objects.push(pool(`p${i}`, [`198.18.${i >> 4}.${(i & 15) * 16}/28`, `2001:db8:${i.toString(16)}::/120`]));
for (let i = 0; i < 200; i++) objects.push(peer(`peer${i}`, { peerAddress: `192.0.2.${i}`, nodeSelectors: [{ matchLabels: { rack: String(i % 20) } }] }));
for (let i = 0; i < 200; i++) objects.push(bgpAdv(`adv${i}`, { ipAddressPools: [`p${i}`, `p${i + 1000}`], localPref: 100 }), l2(`l2-${i}`, { ipAddressPools: [`p${i}`] }));
// The first run pays for compiling and loading; a webhook or reconciler runs warm.
for (const run of ["cold", "warm", "warm"]) {
  const start = process.hrtime.bigint();
  const r = parseConfig({ namespace: NS, objects });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${run}: ${objects.length} objects: ${ms.toFixed(0)} ms, ${r.problems.length} problems, config ${r.config ? "present" : "absent"}`);
}
