/**
 * Run before every spec file (vitest.config.ts, vitest.netns.config.ts setupFiles): the logger of
 * observability/log.ts writes into memory instead of stdout, and a failing test's lines are printed
 * with its failure, so passing tests print nothing. Level: LOG_LEVEL, default debug (only a failure
 * shows them). Children that tests spawn are separate processes and log to their stdout as usual.
 */
import { beforeEach } from "vitest";
import { createLogger, levelFromEnv, setRootLogger } from "../observability/log";

const lines: string[] = [];
setRootLogger(
  createLogger({
    level: process.env["LOG_LEVEL"] ? levelFromEnv(process.env).level : "debug",
    destination: { write: (line: string) => void lines.push(line) },
  }),
);

beforeEach(({ onTestFailed }) => {
  lines.length = 0;
  onTestFailed(() => {
    if (lines.length > 0) process.stderr.write(`logs of the failed test:\n${lines.join("")}`);
  });
});
