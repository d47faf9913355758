/**
 * A step runner for allocator table tests, in the manner of MetalLB's l2tests/assignment: each
 * case is a list of steps (set pools, set namespaces, add/update/delete Services, reprocess) with
 * the exact outcome each step must have.
 */
import { expect } from "vitest";
import type { Pool } from "../../core/config/types";
import { formatIP } from "../../core/net/ip";
import { Allocator, type AllocationResult } from "../../core/allocation/allocator";
import { requestOf, type ServiceOptions } from "./testing";

/** An outcome: the IPs (and optionally pool) of a success, or the exact failure message. */
export type Outcome = string[] | { error?: string; reason?: string; cleared?: string } | { ips: string[]; pool?: string; cleared?: string; additional?: string[]; additionalFailure?: string };

export type Step =
  | { pools: Pool[]; cleared?: Record<string, string>; repooled?: string[] }
  | { namespaces: Record<string, Record<string, string>>; cleared?: Record<string, string> }
  | { svc: string; with?: ServiceOptions; expect: Outcome }
  | { del: string; freed?: boolean }
  | { reprocess: Record<string, Outcome> }
  | { holds: Record<string, string[]> };

export function describeResult(r: AllocationResult): Outcome {
  if (!r.ok) return { error: r.message, reason: r.reason, ...(r.cleared ? { cleared: r.cleared } : {}) };
  return {
    ips: r.ips.map(formatIP),
    pool: r.pool,
    ...(r.cleared ? { cleared: r.cleared } : {}),
    ...(r.additional ? { additional: r.additional.map(formatIP) } : {}),
    ...(r.additionalFailure ? { additionalFailure: r.additionalFailure } : {}),
  };
}

/** Compares only what the expectation names (a bare array means "these IPs"). */
function expectOutcome(actual: AllocationResult, expected: Outcome, where: string): void {
  const got = describeResult(actual);
  if (Array.isArray(expected)) {
    expect("ips" in got ? got.ips : got, where).toEqual(expected);
    return;
  }
  const picked = Object.fromEntries(Object.keys(expected).map(k => [k, (got as Record<string, unknown>)[k]]));
  expect(picked, where).toEqual(expected);
}

export function runSteps(steps: Step[], allocator = new Allocator()): Allocator {
  const services = new Map<string, ServiceOptions>();
  steps.forEach((step, i) => {
    const where = `step ${i + 1}: ${JSON.stringify(step, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 160)}`;
    if ("pools" in step) {
      const { cleared, repooled } = allocator.setPools(step.pools);
      expect(Object.fromEntries(cleared.map(c => [c.key, c.message])), where).toEqual(step.cleared ?? {});
      expect(repooled, where).toEqual(step.repooled ?? []);
    } else if ("namespaces" in step) {
      const { cleared } = allocator.setNamespaces(new Map(Object.entries(step.namespaces)));
      expect(Object.fromEntries(cleared.map(c => [c.key, c.message])), where).toEqual(step.cleared ?? {});
    } else if ("svc" in step) {
      const [ns, name] = step.svc.includes("/") ? step.svc.split("/") : ["default", step.svc];
      const opts = { ...step.with, namespace: ns };
      services.set(step.svc, opts);
      expectOutcome(allocator.allocate(requestOf(name as string, opts)), step.expect, where);
    } else if ("del" in step) {
      const key = step.del.includes("/") ? step.del : `default/${step.del}`;
      const freed = allocator.release(key);
      if (step.freed !== undefined) expect(freed, where).toBe(step.freed);
    } else if ("reprocess" in step) {
      const results = allocator.reprocess();
      expect([...results.keys()], where).toEqual(Object.keys(step.reprocess));
      for (const [key, outcome] of Object.entries(step.reprocess)) {
        expectOutcome(results.get(key) as AllocationResult, outcome, `${where} ${key}`);
      }
    } else {
      const held = Object.fromEntries(
        Object.keys(step.holds).map(k => [k, allocator.assignment(k)?.ips.map(formatIP) ?? []]),
      );
      expect(held, where).toEqual(step.holds);
    }
  });
  return allocator;
}
