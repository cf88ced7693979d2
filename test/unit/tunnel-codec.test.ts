/** The tunnel's wire format (src/protocol/tunnel/): every frame round-trips, garbage is a typed problem, versions are refused clearly. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { decodeFrame, encodeBody, encodeFrame, isFrameProblem } from "../../src/protocol/tunnel/codec.ts";
import { FRAME_TYPE, HEADER_BYTES, MAX_FRAME_BYTES, TUNNEL_MAJOR, type Frame } from "../../src/protocol/tunnel/frames.ts";
import { refuseHubVersion, refuseJoinerVersion } from "../../src/protocol/tunnel/version.ts";
import { closeReason } from "../../src/protocol/tunnel/close.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

const every: Frame[] = [
  { type: "hello", major: 1, minor: 0, gambi: "0.1.0" },
  { type: "hello-ok", major: 1, minor: 0, gambi: "0.1.0", window: 262144, maxFrame: MAX_FRAME_BYTES, pingMs: 5000 },
  { type: "refuse", code: "invalid_participant_token", message: "wrong token", status: 401 },
  { type: "refuse", code: "tunnel_protocol_error", message: "no status" },
  { type: "ready", participant: { id: "p_1", nickname: "n" } },
  { type: "status", participant: { id: "p_1" }, queue: { waiting: 2, queueSize: 256 } },
  { type: "ping", seq: 7 },
  { type: "pong", seq: 7 },
  { type: "open", id: 1, method: "POST", path: "/v1/chat/completions", headers: [["content-type", "application/json"]], more: false, body: bytes('{"model":"m"}') },
  { type: "open", id: 2, method: "GET", path: "/v1/models", headers: [], more: true, body: new Uint8Array(0) },
  { type: "head", id: 1, status: 200, statusText: "OK", headers: [["content-type", "text/event-stream"]] },
  { type: "head", id: 3, status: 200, statusText: "OK", headers: [["content-type", "application/json"]], whole: true, body: bytes('{"ok":true}') },
  { type: "head", id: 4, status: 204, statusText: "No Content", headers: [], whole: true, body: new Uint8Array(0) },
  { type: "body", id: 1, bytes: bytes("data: {}\n\n") },
  { type: "end", id: 1 },
  { type: "error", id: 1, message: "ECONNREFUSED" },
  { type: "cancel", id: 1 },
  { type: "credit", id: 1, bytes: 65536 },
];

const decoded = (f: Frame) => {
  const out = decodeFrame(encodeFrame(f));
  if (isFrameProblem(out)) throw new Error(out.message);
  return out;
};

describe("round trip", () => {
  for (const frame of every) {
    test(`${frame.type}${"id" in frame ? ` #${frame.id}` : ""}`, () => {
      expect(decoded(frame)).toEqual(frame);
    });
  }

  test("a body chunk crosses byte for byte, whatever its bytes (SSE, invalid UTF-8, NULs), without JSON", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 0xffff_ffff }), (chunk, id) => {
        const wire = encodeBody(id, chunk);
        expect(wire.length).toBe(HEADER_BYTES + chunk.length);
        const out = decodeFrame(wire);
        expect(out).toEqual({ type: "body", id, bytes: chunk });
      }),
    );
  });

  test("encodeBody and encodeFrame write the same bytes for a body", () => {
    const chunk = bytes("event: response.output_text.delta\ndata: {\"delta\":\"é\"}\n\n");
    expect(encodeBody(9, chunk)).toEqual(encodeFrame({ type: "body", id: 9, bytes: chunk }));
  });
});

describe("garbage is a problem, never a throw", () => {
  test("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (junk) => {
        const out = decodeFrame(junk);
        if (isFrameProblem(out)) expect(out.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  test("a valid header over random metas", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(FRAME_TYPE)), fc.string({ maxLength: 200 }), fc.nat(5), (type, meta, id) => {
        const json = bytes(meta);
        const wire = new Uint8Array(HEADER_BYTES + json.length);
        const view = new DataView(wire.buffer);
        view.setUint8(0, type);
        view.setUint32(1, id);
        view.setUint32(5, json.length);
        wire.set(json, HEADER_BYTES);
        decodeFrame(wire);
      }),
      { numRuns: 2000 },
    );
  });

  const wire = (type: number, id: number, meta: string | Uint8Array, payload = new Uint8Array(0), metaLength?: number) => {
    const json = typeof meta === "string" ? bytes(meta) : meta;
    const out = new Uint8Array(HEADER_BYTES + json.length + payload.length);
    const view = new DataView(out.buffer);
    view.setUint8(0, type);
    view.setUint32(1, id);
    view.setUint32(5, metaLength ?? json.length);
    out.set(json, HEADER_BYTES);
    out.set(payload, HEADER_BYTES + json.length);
    return out;
  };
  const cases: [string, Uint8Array, string][] = [
    ["shorter than a header", new Uint8Array([1, 0, 0]), "truncated"],
    ["an unknown type", wire(0x7f, 0, "{}"), "unknown_type"],
    ["a meta length past the end", wire(FRAME_TYPE.ping, 0, "{}", undefined, 999), "truncated"],
    ["a request frame with id 0", wire(FRAME_TYPE.head, 0, '{"status":200,"statusText":"","headers":[]}'), "bad_id"],
    ["a connection frame with an id", wire(FRAME_TYPE.ping, 3, '{"seq":1}'), "bad_id"],
    ["a meta that is not JSON", wire(FRAME_TYPE.ping, 0, "{seq:1"), "bad_meta"],
    ["a meta that is not UTF-8", wire(FRAME_TYPE.ping, 0, new Uint8Array([0x7b, 0xff, 0x7d])), "bad_meta"],
    ["a meta that is an array", wire(FRAME_TYPE.ping, 0, "[1]"), "bad_meta"],
    ["a head without a status", wire(FRAME_TYPE.head, 1, '{"statusText":"","headers":[]}'), "bad_meta"],
    ["a head with a status out of range", wire(FRAME_TYPE.head, 1, '{"status":42,"statusText":"","headers":[]}'), "bad_meta"],
    ["headers that are not pairs", wire(FRAME_TYPE.head, 1, '{"status":200,"statusText":"","headers":[["a"]]}'), "bad_meta"],
    ["an open with another method", wire(FRAME_TYPE.open, 1, '{"method":"PUT","path":"/v1/x","headers":[],"more":false}'), "bad_meta"],
    ["an open whose path is a URL", wire(FRAME_TYPE.open, 1, '{"method":"GET","path":"http://evil/","headers":[],"more":false}'), "bad_meta"],
    ["a head with a body but not whole", wire(FRAME_TYPE.head, 1, '{"status":200,"statusText":"","headers":[]}', bytes("x")), "bad_meta"],
    ["a head whose whole is not true", wire(FRAME_TYPE.head, 1, '{"status":200,"statusText":"","headers":[],"whole":false}'), "bad_meta"],
    ["a credit of 0", wire(FRAME_TYPE.credit, 1, '{"bytes":0}'), "bad_meta"],
    ["a credit that is negative", wire(FRAME_TYPE.credit, 1, '{"bytes":-5}'), "bad_meta"],
    ["an end with a payload", wire(FRAME_TYPE.end, 1, "", bytes("x")), "bad_meta"],
    ["a cancel with a meta", wire(FRAME_TYPE.cancel, 1, "{}"), "bad_meta"],
    ["a ping with bytes after its meta", wire(FRAME_TYPE.ping, 0, '{"seq":1}', bytes("x")), "bad_meta"],
  ];
  for (const [what, frame, problem] of cases) {
    test(what, () => {
      const out = decodeFrame(frame);
      expect(isFrameProblem(out) && out.problem).toBe(problem as never);
    });
  }

  test("a frame over the limit is refused before anything is read", () => {
    const big = encodeBody(1, new Uint8Array(MAX_FRAME_BYTES));
    const out = decodeFrame(big);
    expect(isFrameProblem(out) && out.problem).toBe("too_large");
    expect(isFrameProblem(out) && out.message).toContain(String(MAX_FRAME_BYTES));
    // Exactly at the limit is fine.
    expect(isFrameProblem(decodeFrame(encodeBody(1, new Uint8Array(MAX_FRAME_BYTES - HEADER_BYTES))))).toBe(false);
  });

  test("problems never quote the frame's bytes", () => {
    const secret = "sk-never-echo-this";
    const out = decodeFrame(wire(FRAME_TYPE.ping, 0, `{"seq":"${secret}"}`));
    expect(isFrameProblem(out) && out.message).not.toContain(secret);
  });
});

describe("versions", () => {
  test("the same major goes, whatever the minors", () => {
    expect(refuseJoinerVersion(TUNNEL_MAJOR, 0, "0.1.0")).toBeUndefined();
    expect(refuseJoinerVersion(TUNNEL_MAJOR, 99, "0.9.0")).toBeUndefined();
    expect(refuseHubVersion(TUNNEL_MAJOR, 5, "0.9.0")).toBeUndefined();
  });

  test("another major is refused, naming both versions and who should upgrade, on each side", () => {
    const hubSays = refuseJoinerVersion(TUNNEL_MAJOR + 1, 0, "9.0.0")!;
    expect(hubSays).toContain(`${TUNNEL_MAJOR + 1}.0`);
    expect(hubSays).toContain("upgrade the hub");
    expect(refuseJoinerVersion(0, 3, "0.0.1")).toContain("gambi upgrade");
    const joinerSays = refuseHubVersion(TUNNEL_MAJOR + 1, 0, "9.0.0")!;
    expect(joinerSays).toContain("gambi 9.0.0");
    expect(joinerSays).toContain("upgrade gambi here");
    expect(refuseHubVersion(0, 1, "0.0.1")).toContain("the hub is older");
  });

  test("a hello keeps its number and its major field: an old peer can read a new one's", () => {
    expect(FRAME_TYPE.hello).toBe(0x01);
    expect(FRAME_TYPE.refuse).toBe(0x03);
    const future = decoded({ type: "hello", major: 7, minor: 3, gambi: "7.3.0" });
    expect(future).toEqual({ type: "hello", major: 7, minor: 3, gambi: "7.3.0" });
  });
});

test("close reasons fit in a close frame (123 bytes), cut on a character", () => {
  expect(closeReason("short")).toBe("short");
  const long = "é".repeat(200);
  const cut = closeReason(long);
  expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(123);
  expect(cut.endsWith("…")).toBe(true);
});
