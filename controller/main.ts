/**
 * Starts Lodestone's controller: the reconciler that hands out load-balancer IPs and keeps
 * Services, Events, pool counters, ConfigurationState and metrics in step with the allocator.
 * The Pepr module and the out-of-cluster runner call this with the kubernetes-fluent-client port;
 * tests call it with the recording fake and a fake clock.
 */
import { Registry } from "prom-client";
import type { ControllerPort } from "../kube/controller-port";
import { realClock, type Clock } from "../core/clock";
import { ControllerMetrics } from "./metrics";
import { Reconciler } from "./reconciler";
import type { Logger } from "../observability/log";

export interface ControllerOptions {
  /** The Lodestone namespace (metallb.io objects, ConfigurationState). */
  namespace: string;
  /** Handle only Services of this spec.loadBalancerClass (unset: Services without a class). */
  lbClass?: string;
  port: ControllerPort;
  clock?: Clock;
  /** Where the metrics are registered (a fresh one when omitted). */
  registry?: Registry;
  /** Retry backoff of failed writes. */
  backoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Default: the process logger, component "controller". */
  log?: Logger;
}

export interface RunningController {
  stop(): Promise<void>;
  /** Resolves once no write is running or queued (retries waiting on their backoff timer may remain). */
  settled(): Promise<void>;
  /** Keys of writes waiting for a retry. */
  backingOff(): string[];
  registry: Registry;
}

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const registry = opts.registry ?? new Registry();
  const reconciler = new Reconciler({
    namespace: opts.namespace,
    ...(opts.lbClass !== undefined ? { lbClass: opts.lbClass } : {}),
    port: opts.port,
    clock: opts.clock ?? realClock,
    metrics: new ControllerMetrics(registry),
    queue: { ...opts.backoff },
    ...(opts.log ? { log: opts.log } : {}),
  });
  await reconciler.start();
  return {
    stop: () => reconciler.stop(),
    settled: () => reconciler.settled(),
    backingOff: () => reconciler.queue.backingOff(),
    registry,
  };
}
