/**
 * Keeps docs/alerts.yaml and docs/metrics.md true of the code: every metric an alert uses, and every
 * metric the metrics page lists (with its type), must be one the controller or the speaker registers.
 * The registries are built by the same classes and functions the processes use
 * (controller/main.ts, speaker/main.ts, speaker/speaker.ts, speaker/bgp),
 * so renaming a metric there fails this test until the docs follow.
 */
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { registerBgpMetrics } from "../speaker/bgp/metrics";
import { registerBfdMetrics } from "../speaker/bfd/bfd-metrics";
import { ControllerMetrics } from "../controller/metrics";
import { PromHeartbeatMetrics } from "../speaker/l2/heartbeat-metrics";
import { PromL2Metrics } from "../speaker/l2/prom-metrics";
import { SpeakerMetrics } from "../speaker/metrics";

const docs = (file: string): string => readFileSync(new URL(file, import.meta.url), "utf8");

/** Metric name -> type ("counter", "gauge", ...), as a registry reports it. */
async function metricTypes(registry: Registry): Promise<Map<string, string>> {
  return new Map((await registry.getMetricsAsJSON()).map(m => [m.name, String(m.type)]));
}

async function controllerMetrics(): Promise<Map<string, string>> {
  const registry = new Registry();
  new ControllerMetrics(registry);
  return metricTypes(registry);
}

async function speakerMetrics(): Promise<Map<string, string>> {
  const registry = new Registry();
  new SpeakerMetrics(registry);
  new PromL2Metrics(registry);
  new PromHeartbeatMetrics(registry);
  registerBgpMetrics(registry, () => []);
  registerBfdMetrics(registry, { counters: () => [], sessions: () => [] });
  return metricTypes(registry);
}

const PROMQL_KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/**
 * The metric names a PromQL expression selects. Strings, label matchers, ranges and label lists of
 * grouping/matching clauses are removed first; what remains that looks like an identifier and is not
 * a keyword or a function call is a metric name.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*/g)) {
    const name = m[0];
    const after = stripped.slice((m.index ?? 0) + name.length).trimStart();
    if (PROMQL_KEYWORDS.has(name.toLowerCase()) || after.startsWith("(")) continue;
    names.add(name);
  }
  return [...names].sort();
}

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

function alertRules(): Rule[] {
  const file = parse(docs("alerts.yaml")) as { groups?: { name?: unknown; rules?: Rule[] }[] };
  return (file.groups ?? []).flatMap(g => g.rules ?? []);
}

/** The metric rows of docs/metrics.md's tables: `| \`name\` | type | ...`. */
function documentedMetrics(): Map<string, string> {
  const rows = [...docs("metrics.md").matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \|/gm)];
  return new Map(rows.map(r => [r[1] ?? "", r[2] ?? ""]));
}

describe("metricNamesIn", () => {
  it("finds the selected metrics and skips functions, keywords, labels, ranges and strings", () => {
    expect(metricNamesIn('count by (ip) (metallb_speaker_announced{protocol="layer2"}) > 1')).toEqual(["metallb_speaker_announced"]);
    expect(metricNamesIn("rate(metallb_k8s_client_update_errors_total[5m]) > 0")).toEqual(["metallb_k8s_client_update_errors_total"]);
    expect(
      metricNamesIn("(a_pending != b_announced) and on (instance, peer) (c_up == 1) or vector(0) offset 5m unless d_x{l=\"e_y\"} > 1e3"),
    ).toEqual(["a_pending", "b_announced", "c_up", "d_x"]);
    expect(metricNamesIn("sum without (pod) (x_total) / ignoring(le) group_left(node) y_total")).toEqual(["x_total", "y_total"]);
  });
});

describe("docs/alerts.yaml", () => {
  const rules = alertRules();

  it("holds alerting rules with an expression, a severity and a summary", () => {
    expect(rules.length).toBe(12);
    for (const rule of rules) {
      expect(typeof rule.alert, JSON.stringify(rule)).toBe("string");
      expect(typeof rule.expr, String(rule.alert)).toBe("string");
      expect(["warning", "critical"], String(rule.alert)).toContain(rule.labels?.severity);
      expect(typeof rule.annotations?.summary, String(rule.alert)).toBe("string");
      if (rule.for !== undefined) expect(String(rule.for), String(rule.alert)).toMatch(/^(\d+[smhdwy])+$/);
    }
    expect(new Set(rules.map(r => r.alert)).size).toBe(rules.length);
  });

  it("uses only metrics the controller or the speaker registers", async () => {
    const known = new Map([...(await controllerMetrics()), ...(await speakerMetrics())]);
    for (const rule of rules) {
      const used = metricNamesIn(String(rule.expr));
      expect(used.length, `${String(rule.alert)} selects no metric`).toBeGreaterThan(0);
      expect(used.filter(name => !known.has(name)), String(rule.alert)).toEqual([]);
    }
  });
});

describe("docs/metrics.md", () => {
  it("lists exactly the metrics the code registers, each with its type", async () => {
    const controller = await controllerMetrics();
    const speaker = await speakerMetrics();
    const registered = new Map([...controller, ...speaker]);
    // A name both processes register must have one type, or the page could not give one.
    for (const [name, type] of controller) if (speaker.has(name)) expect(speaker.get(name), name).toBe(type);
    const documented = documentedMetrics();
    expect(Object.fromEntries([...documented].sort())).toEqual(Object.fromEntries([...registered].sort()));
  });
});
