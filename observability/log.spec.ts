/**
 * The logger: one JSON object a line with level name, ISO time, component and the call's fields;
 * lines below the level are dropped; LOG_LEVEL sets the level of a process's loggers.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../hack/netns/bed";
import { createLogger, levelFromEnv, LOG_LEVELS } from "./log";

/** A root logger at `level` and the objects it wrote. */
function recorded(level: (typeof LOG_LEVELS)[number]) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { log, lines };
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("createLogger", () => {
  it("writes level name, ISO time, component, the call's fields and the message, nothing else", () => {
    const { log, lines } = recorded("info");
    log.child({ component: "speaker" }).child({ node: "node-a" }).info({ service: "default/web", ip: "192.0.2.10" }, "announcing");
    expect(lines).toEqual([{ level: "info", time: expect.stringMatching(ISO_TIME), component: "speaker", node: "node-a", service: "default/web", ip: "192.0.2.10", msg: "announcing" }]);
    expect(Object.keys(lines[0]!)).toEqual(["level", "time", "component", "node", "service", "ip", "msg"]);
  });

  it("drops lines below its level and keeps those at or above it", () => {
    const { log, lines } = recorded("warn");
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
    expect(lines.map(l => [l["level"], l["msg"]])).toEqual([["warn", "w"], ["error", "e"], ["fatal", "f"]]);
  });

  it("writes nothing when silent", () => {
    const { log, lines } = recorded("silent");
    log.fatal("f");
    expect(lines).toEqual([]);
  });

  it("logs an Error's type, message and stack under err", () => {
    const { log, lines } = recorded("info");
    log.error({ err: new RangeError("too far") }, "failed");
    expect(lines[0]).toMatchObject({ level: "error", msg: "failed", err: { type: "RangeError", message: "too far", stack: expect.stringContaining("RangeError: too far") } });
  });
});

describe("levelFromEnv", () => {
  it("reads LOG_LEVEL, any case, and defaults to info", () => {
    expect(levelFromEnv({})).toEqual({ level: "info" });
    expect(levelFromEnv({ LOG_LEVEL: "" })).toEqual({ level: "info" });
    expect(levelFromEnv({ LOG_LEVEL: "DEBUG" })).toEqual({ level: "debug" });
    for (const level of LOG_LEVELS) expect(levelFromEnv({ LOG_LEVEL: level })).toEqual({ level });
  });

  it("logs at info and says why when LOG_LEVEL names no level", () => {
    expect(levelFromEnv({ LOG_LEVEL: "loud" })).toEqual({
      level: "info",
      problem: 'LOG_LEVEL="loud" is not a level (fatal, error, warn, info, debug, trace, silent): logging at info',
    });
  });
});

/** Runs a script that logs one line per level through `logger("cli")`, with LOG_LEVEL as given; returns its stdout lines. */
async function processLogs(logLevel: string | undefined): Promise<Record<string, unknown>[]> {
  const script = `
    const { logger } = require("./observability/log.ts");
    const log = logger("cli", { run: 1 });
    for (const level of ["trace", "debug", "info", "warn", "error"]) log[level](level + " line");`;
  const tsx = pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
  const env = { ...process.env, LOG_LEVEL: logLevel };
  if (logLevel === undefined) delete env.LOG_LEVEL;
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["--import", tsx, "-e", script], { cwd: REPO_ROOT, env }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  return stdout
    .trim()
    .split("\n")
    .map(line => JSON.parse(line) as Record<string, unknown>);
}

describe("a process's loggers", () => {
  it("log at info by default, as JSON lines on stdout", async () => {
    const lines = await processLogs(undefined);
    expect(lines.map(l => l["msg"])).toEqual(["info line", "warn line", "error line"]);
    expect(lines[0]).toEqual({ level: "info", time: expect.stringMatching(ISO_TIME), component: "cli", run: 1, msg: "info line" });
  });

  it("honour LOG_LEVEL", async () => {
    expect((await processLogs("warn")).map(l => l["msg"])).toEqual(["warn line", "error line"]);
    expect((await processLogs("trace")).map(l => l["msg"])).toEqual(["trace line", "debug line", "info line", "warn line", "error line"]);
  });

  it("say so once, then log at info, when LOG_LEVEL names no level", async () => {
    const lines = await processLogs("loud");
    expect(lines.map(l => [l["level"], l["component"], l["msg"]])).toEqual([
      ["warn", "log", 'LOG_LEVEL="loud" is not a level (fatal, error, warn, info, debug, trace, silent): logging at info'],
      ["info", "cli", "info line"],
      ["warn", "cli", "warn line"],
      ["error", "cli", "error line"],
    ]);
  });
});
