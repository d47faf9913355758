import { describe, expect, it } from "vitest";
import { main } from "./main";

describe("lodestone command", () => {
  it("answers an unknown command with exit 2 and the usage", async () => {
    const err: string[] = [];
    const code = await main(["frobnicate"], { out: () => {}, err: l => err.push(l) });
    expect(code).toBe(2);
    expect(err[0]).toBe('lodestone: unknown command "frobnicate"');
    expect(err[1]).toBe("usage: lodestone <command> [options]\n\ncommands:");
  });
});
