import { describe, expect, it } from "vitest";
import { describeNotification } from "./notification-names";
import { describeDown } from "../../../speaker/bgp/peer-session";

describe("NOTIFICATION names", () => {
  it("names codes, and Cease and OPEN subcodes by their own names", () => {
    expect(describeNotification(6, 2)).toBe("6/2 (administrative shutdown)");
    expect(describeNotification(6, 10)).toBe("6/10 (BFD down)");
    expect(describeNotification(4, 0)).toBe("4/0 (hold timer expired)");
    expect(describeNotification(2, 2)).toBe("2/2 (bad peer AS)");
    expect(describeNotification(2, 6)).toBe("2/6 (unacceptable hold time)");
    expect(describeNotification(2, 0)).toBe("2/0 (OPEN message error)");
    expect(describeNotification(6, 99)).toBe("6/99 (cease)");
    expect(describeNotification(42, 1)).toBe("42/1 (code 42)");
  });

  it("says which side sent it", () => {
    const cease = { code: 6, subcode: 2 };
    expect(describeDown("administrative shutdown", cease, true, "192.0.2.1", "BFD down")).toBe("sent NOTIFICATION 6/2 (administrative shutdown) to 192.0.2.1: BFD down");
    expect(describeDown("notification received: code 6 subcode 10", { code: 6, subcode: 10 }, false, "192.0.2.1")).toBe("received NOTIFICATION 6/10 (BFD down) from 192.0.2.1");
    expect(describeDown("hold timer expired", { code: 4, subcode: 0 }, true, "2001:db8::1")).toBe("sent NOTIFICATION 4/0 (hold timer expired) to 2001:db8::1: hold timer expired");
    expect(describeDown("connection lost", undefined, false, "192.0.2.1")).toBe("connection lost");
  });
});
