/**
 * A logger for tests that keeps what is logged, so a test can assert the exact messages, levels and
 * fields a component logs.
 */
import type { LevelWithSilent } from "pino";
import { createLogger, type Logger } from "../../observability/log";

export interface RecordedLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface RecordingLogger {
  readonly log: Logger;
  /** Every line written, parsed, oldest first. */
  readonly lines: RecordedLine[];
  /** The messages alone, oldest first (the same lines, kept as they are written). */
  readonly messages: string[];
}

/** `messages`: an array of the test's own to append the messages to. */
export function recordingLogger(level: LevelWithSilent = "trace", messages: string[] = []): RecordingLogger {
  const lines: RecordedLine[] = [];
  const write = (text: string): void => {
    const line = JSON.parse(text) as RecordedLine;
    lines.push(line);
    messages.push(line.msg);
  };
  return { log: createLogger({ level, destination: { write } }), lines, messages };
}
