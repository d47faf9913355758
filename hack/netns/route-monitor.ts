/**
 * `ip -ts monitor route` that is known to be listening. `ip monitor` prints nothing until the kernel
 * reports a change, and a change made before it has subscribed is never reported: a test that adds
 * one route and waits for its line races the subscription (seen in CI under load: no line in 10 s).
 * So we poke with a blackhole route of our own, a new one each time, until a poke is reported.
 */
import type { Namespace } from "./bed";
import type { Spawned } from "./process";

const POKE_PREFIX = "203.0.113.";

/** Starts the monitor in `ns` and resolves once it has reported one of our pokes (the pokes are removed again). */
export async function listeningRouteMonitor(ns: Namespace, { attempts = 100, pokeWaitMs = 100 } = {}): Promise<Spawned> {
  const monitor = ns.spawn(["ip", "-ts", "monitor", "route"], { env: { ...process.env, TZ: "UTC" } });
  const poked: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const prefix = `${POKE_PREFIX}${200 + (attempt % 50)}/32`;
      await ns.ip([`route replace blackhole ${prefix}`]);
      poked.push(prefix);
      try {
        await monitor.waitForLine(/203\.0\.113\.2\d\d/, pokeWaitMs);
        return monitor;
      } catch (error) {
        if (attempt + 1 >= attempts || !monitor.running) throw error;
      }
    }
  } catch (error) {
    await monitor.kill(500);
    throw error;
  } finally {
    await ns.ip([...new Set(poked)].map(p => `route del blackhole ${p}`)).catch(() => undefined);
  }
}
