/** Where a failed request failed, as the room's llm.error event names it. */
import { expect, test } from "bun:test";
import { errorStage } from "../../src/hub/inference/dispatch.ts";

test("client gone, unreachable, deadline, an error answer, a stream that broke after it began", () => {
  expect(errorStage({ status: 499, observation: { firstEventAt: 5 }, aborted: true, error: "x" })).toBe("client");
  expect(errorStage({ status: 502, observation: {}, error: "ECONNREFUSED", fault: "unreachable" })).toBe("connect");
  expect(errorStage({ status: 504, observation: {}, error: "no first byte in 300 s", fault: "timeout" })).toBe("timeout");
  expect(errorStage({ status: 429, observation: {}, error: "rate limited" })).toBe("upstream");
  expect(errorStage({ status: 502, observation: {}, error: "socket closed", fault: "disconnected" })).toBe("stream");
  expect(errorStage({ status: 200, observation: { firstContentAt: 7 }, error: "in-band error event" })).toBe("stream");
  expect(errorStage({ status: 504, observation: { firstEventAt: 3 }, error: "idle 120 s", fault: "timeout" })).toBe("stream");
});
