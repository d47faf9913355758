/**
 * How a timing process (the BFD runner: docs/adr/0007) raises itself above
 * the rest of the node: SCHED_RR for its thread, else a lower nice value for its thread (pid 0: the
 * calling thread, setpriority(2)). Both need CAP_SYS_NICE; without it the caller says so once.
 */
import { setPriority } from "node:os";
import { setThreadRealtime } from "../native/index";

export interface RunnerPriority {
  readonly realtime: number;
  readonly nice: number;
}

export function raisePriority(p: RunnerPriority): { raised: boolean; how: string } {
  const errors: string[] = [];
  try {
    setThreadRealtime(p.realtime);
    return { raised: true, how: `SCHED_RR ${p.realtime}` };
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  try {
    setPriority(0, p.nice);
    return { raised: true, how: `nice ${p.nice}` };
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  return { raised: false, how: errors.join("; ") };
}
