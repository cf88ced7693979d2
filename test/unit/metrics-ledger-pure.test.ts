/** The pure parts of /metrics and the ledger: the text format, histograms, the token estimates. */
import { describe, expect, test } from "bun:test";
import { escapeLabelValue, formatNumber, renderFamilies } from "../../src/hub/metrics/exposition.ts";
import { Histogram } from "../../src/hub/metrics/histogram.ts";
import { estimateInputTokens, estimateOutputTokens, requestTextChars } from "../../src/hub/ledger/estimate.ts";

describe("exposition", () => {
  test("label values escape backslash, double quote and line feed; HELP escapes backslash and line feed", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = renderFamilies([{ name: "x_total", help: "one\\two\nthree", type: "counter", samples: [{ labels: [["model", 'q"w']], value: 3 }] }]);
    expect(text).toBe('# HELP x_total one\\\\two\\nthree\n# TYPE x_total counter\nx_total{model="q\\"w"} 3\n');
  });

  test("a histogram: cumulative buckets, +Inf equal to the count, sum and count", () => {
    const h = new Histogram([0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 2, 3]) h.observe(v);
    const text = renderFamilies([{ name: "d_seconds", help: "d", type: "histogram", histograms: [{ labels: [["room", "AB"]], histogram: h }] }]);
    expect(text.split("\n").filter((l) => !l.startsWith("#") && l !== "")).toEqual([
      'd_seconds_bucket{room="AB",le="0.1"} 2',
      'd_seconds_bucket{room="AB",le="1"} 3',
      'd_seconds_bucket{room="AB",le="+Inf"} 5',
      'd_seconds_sum{room="AB"} 5.65',
      'd_seconds_count{room="AB"} 5',
    ]);
  });

  test("numbers: NaN and infinities as Prometheus spells them", () => {
    expect([NaN, Infinity, -Infinity, 0.25].map(formatNumber)).toEqual(["NaN", "+Inf", "-Inf", "0.25"]);
  });
});

describe("token estimates", () => {
  test("input: the text of messages, input, instructions and system, four characters a token, at least 1", () => {
    const chat = { messages: [{ role: "user", content: "12345678" }, { role: "user", content: [{ type: "text", text: "abcd" }, { type: "image_url", image_url: { url: "data:xyz" } }] }] };
    expect(requestTextChars(chat)).toBe(12);
    expect(estimateInputTokens(chat)).toBe(3);
    expect(estimateInputTokens({ input: "a", instructions: "bcdef" })).toBe(2);
    expect(estimateInputTokens({ system: [{ type: "text", text: "sys!" }], messages: [] })).toBe(1);
    expect(estimateInputTokens({ messages: [] })).toBe(1);
  });

  test("output: a whole body by its bytes; a stream by its content events; nothing before content", () => {
    expect(estimateOutputTokens({ bytes: 9 }, false)).toBe(3);
    expect(estimateOutputTokens({ bytes: 0 }, false)).toBe(0);
    expect(estimateOutputTokens({ bytes: 500 }, true)).toBe(0);
    expect(estimateOutputTokens({ bytes: 1100, firstContentAt: 1, contentStartBytes: 100, contentEventBytes: 100 }, true)).toBe(10);
    expect(estimateOutputTokens({ bytes: 120, firstContentAt: 1 }, true)).toBe(1);
  });
});
