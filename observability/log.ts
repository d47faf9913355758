/**
 * The logger of every Lodestone process (controller, speaker, CLI): pino, the logger Pepr itself
 * logs with (https://getpino.io), writing one JSON object per line to stdout:
 *
 *   {"level":"info","time":"2026-01-01T00:00:00.000Z","component":"speaker","msg":"announcing"}
 *
 * `level` is the level's name, `time` ISO 8601, `component` the part of the program that logs
 * (each part takes a child logger: `logger("speaker")`), further fields as the call gives them.
 * LOG_LEVEL (fatal, error, warn, info, debug, trace or silent; default info) sets the level, as it
 * does for Pepr's own logs in the controller pod.
 */
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from "pino";

export type { Logger };

/** The levels LOG_LEVEL may name, most severe first. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const DEFAULT_LEVEL: LevelWithSilent = "info";

const isLevel = (value: string): value is LevelWithSilent => (LOG_LEVELS as readonly string[]).includes(value);

/** LOG_LEVEL's level; `problem` says why it was not used when it names no level. */
export function levelFromEnv(env: NodeJS.ProcessEnv): { level: LevelWithSilent; problem?: string } {
  const value = env["LOG_LEVEL"]?.trim().toLowerCase();
  if (value === undefined || value === "") return { level: DEFAULT_LEVEL };
  if (isLevel(value)) return { level: value };
  return {
    level: DEFAULT_LEVEL,
    problem: `LOG_LEVEL=${JSON.stringify(env["LOG_LEVEL"])} is not a level (${LOG_LEVELS.join(", ")}): logging at ${DEFAULT_LEVEL}`,
  };
}

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Where the JSON lines go; default stdout, written synchronously so none is lost when the process exits. */
  readonly destination?: DestinationStream;
}

/** A root logger; most code wants `logger(component)` instead. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? DEFAULT_LEVEL,
      // No pid and hostname on every line: the pod and node are in Kubernetes' log metadata.
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: label => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

let root: Logger | undefined;

/** The process's root logger, made on first use from LOG_LEVEL (a LOG_LEVEL that names no level is logged as a warning). */
export function rootLogger(): Logger {
  if (root === undefined) {
    const { level, problem } = levelFromEnv(process.env);
    root = createLogger({ level });
    if (problem !== undefined) root.warn({ component: "log" }, problem);
  }
  return root;
}

/** Replaces the root logger: for the test setup, which keeps logs to show them when a test fails. */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** A logger whose lines carry `component` (and any other fields given). */
export function logger(component: string, fields: Readonly<Record<string, unknown>> = {}): Logger {
  return rootLogger().child({ component, ...fields });
}
