import { describe, expect, it } from "vitest";
import { writeConfigurationState } from "./configuration-state";
import { ApiError, ConflictError, NotFoundError, type ConfigurationStateStatus } from "./controller-port";
import type { ApiRequest, HttpMethod } from "./kfc-api";

const REF = { namespace: "metallb-system", name: "controller" };
const LABELS = { "metallb.io/component-type": "controller" };
const STATUS: ConfigurationStateStatus = { result: "Valid", errorSummary: "", conditions: [] };
const PATH = "/apis/metallb.io/v1beta1/namespaces/metallb-system/configurationstates";

interface Call {
  method: HttpMethod;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

/** A request function that records every call and answers each with the next scripted outcome. */
function scripted(...outcomes: (ApiError | undefined)[]): { request: ApiRequest; calls: Call[] } {
  const calls: Call[] = [];
  const request = async <T,>(method: HttpMethod, path: string, contentType?: string, body?: unknown): Promise<T> => {
    calls.push({ method, path, contentType, body });
    const outcome = outcomes.shift();
    if (outcome) throw outcome;
    return undefined as T;
  };
  return { request, calls };
}

const patchStatus: Call = { method: "PATCH", path: `${PATH}/controller/status`, contentType: "application/merge-patch+json", body: { status: STATUS } };
const create: Call = {
  method: "POST",
  path: PATH,
  contentType: "application/json",
  body: { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: "controller", namespace: "metallb-system", labels: LABELS } },
};

describe("writeConfigurationState", () => {
  it("only patches the status of an existing object", async () => {
    const { request, calls } = scripted(undefined);
    await writeConfigurationState(request, REF, LABELS, STATUS);
    expect(calls).toEqual([patchStatus]);
  });

  it("creates a missing object with its labels, then writes the status (ignored on create)", async () => {
    const { request, calls } = scripted(new NotFoundError("not found"), undefined, undefined);
    await writeConfigurationState(request, REF, LABELS, STATUS);
    expect(calls).toEqual([patchStatus, create, patchStatus]);
  });

  it("takes a 409 on create as another writer having created it, and writes the status", async () => {
    const { request, calls } = scripted(new NotFoundError("not found"), new ConflictError("already exists"), undefined);
    await writeConfigurationState(request, REF, LABELS, STATUS);
    expect(calls).toEqual([patchStatus, create, patchStatus]);
  });

  it("passes on any other failure without creating", async () => {
    const { request, calls } = scripted(new ApiError(403, "forbidden"));
    await expect(writeConfigurationState(request, REF, LABELS, STATUS)).rejects.toThrow("forbidden");
    expect(calls).toEqual([patchStatus]);
  });

  it("passes on a failed create", async () => {
    const { request, calls } = scripted(new NotFoundError("not found"), new ApiError(500, "etcd down"));
    await expect(writeConfigurationState(request, REF, LABELS, STATUS)).rejects.toThrow("etcd down");
    expect(calls).toEqual([patchStatus, create]);
  });
});
