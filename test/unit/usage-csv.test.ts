/**
 * The ledger's CSV (`GET /rooms/:code/usage?format=csv`, hub/ledger/usage-view.ts) without a
 * hub: the header, one row per (kind, id, model) in the view's order, fields quoted as RFC 4180
 * says when a nickname or a model holds a comma, a quote or a line break (and read back whole by
 * a strict parser), cells a spreadsheet would run as a formula defused, the estimated parts in
 * their own columns, empty cells for what a row kind has not.
 */
import { describe, expect, test } from "bun:test";
import type { LedgerRow } from "../../src/hub/persist/ledger-store.ts";
import { CSV_HEADER, csvField, usageCsv, usageView } from "../../src/hub/ledger/usage-view.ts";

function row(kind: LedgerRow["kind"], id: string, model: string, over: Partial<LedgerRow> = {}): LedgerRow {
  return { kind, id, model, nickname: null, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, estimatedInputTokens: 0, estimatedOutputTokens: 0, ttftMsSum: 0, ttftCount: 0, generatedTokens: 0, generationMs: 0, ...over };
}

/** RFC 4180, strictly: CRLF between records, a quoted field's "" is one quote, nothing after a closing quote but a separator. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  expect(text.endsWith("\r\n")).toBe(true);
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw new Error("unterminated quoted field");
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      field = text.slice(i, i + end);
      if (/["\r\n]/.test(field)) throw new Error(`unquoted field holds a quote or line break: ${JSON.stringify(field)}`);
      i += end;
    }
    fields.push(field);
    if (text.startsWith(",", i)) i++;
    else if (text.startsWith("\r\n", i)) {
      i += 2;
      records.push(fields);
      fields = [];
    } else throw new Error(`garbage after a field at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
  }
  return records;
}

describe("csvField", () => {
  test("plain text and numbers as they are; null as an empty cell", () => {
    expect(csvField("llama3.2")).toBe("llama3.2");
    expect(csvField(42)).toBe("42");
    expect(csvField(0)).toBe("0");
    expect(csvField(12.5)).toBe("12.5");
    expect(csvField(null)).toBe("");
    expect(csvField("")).toBe("");
  });

  test("a comma, a quote, a LF or a CR: the field quoted, quotes doubled", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvField('"')).toBe('""""');
  });

  test("a text starting with = + - @ (or a tab or CR) gets a ' first, so a spreadsheet shows it instead of running it; numbers are left alone", () => {
    expect(csvField("=HYPERLINK(\"x\")")).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("-model")).toBe("'-model");
    expect(csvField("@sum")).toBe("'@sum");
    expect(csvField("\tindent")).toBe("'\tindent");
    expect(csvField("\rcr")).toBe(`"'\rcr"`);
    expect(csvField(-3)).toBe("-3");
    expect(csvField("a=b")).toBe("a=b");
  });
});

describe("usageCsv", () => {
  const rows: LedgerRow[] = [
    row("participant", "p-1", "llama3.2", { nickname: 'Ana, "the GPU"\nin the lab', requests: 3, errors: 1, inputTokens: 120, outputTokens: 40, estimatedOutputTokens: 15, ttftMsSum: 300, ttftCount: 2, generatedTokens: 40, generationMs: 2000 }),
    row("participant", "p-2", "qwen,2.5:7b", { nickname: "bob", requests: 1, inputTokens: 10, outputTokens: 50 }),
    row("caller", "caller-0a1b2c3d", "llama3.2", { requests: 3, errors: 1, inputTokens: 120, outputTokens: 40, estimatedInputTokens: 7, estimatedOutputTokens: 15 }),
    row("caller", "caller-ffffffff", 'model "x"', { requests: 1, inputTokens: 10, outputTokens: 50 }),
  ];
  const csv = usageCsv(usageView("K7QX2M", Date.UTC(2025, 0, 1), rows));

  test("the header, then participants (most output first) and callers (most tokens first), CRLF-terminated", () => {
    const records = parseCsv(csv);
    expect(records[0]).toEqual([...CSV_HEADER]);
    expect(records[0]).toEqual(["kind", "id", "nickname", "model", "requests", "errors", "inputTokens", "outputTokens", "estimatedInputTokens", "estimatedOutputTokens", "meanTtftMs", "tokensPerSecond"]);
    expect(records.map((r) => r.length)).toEqual([12, 12, 12, 12, 12]);
    expect(records.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ["participant", "p-2"],
      ["participant", "p-1"],
      ["caller", "caller-0a1b2c3d"],
      ["caller", "caller-ffffffff"],
    ]);
  });

  test("nicknames and models with commas, quotes and line breaks come back whole", () => {
    const records = parseCsv(csv);
    expect(records[2]![2]).toBe('Ana, "the GPU"\nin the lab');
    expect(records[1]![3]).toBe("qwen,2.5:7b");
    expect(records[4]![3]).toBe('model "x"');
    // And on the wire, quoted: the line break inside the nickname is no record separator.
    expect(csv).toContain('"Ana, ""the GPU""\nin the lab"');
    expect(csv.split("\r\n")).toHaveLength(6);
  });

  test("the figures: errors, the estimated parts beside the totals, the mean TTFT and tokens/s; a caller's row leaves nickname, TTFT and rate empty", () => {
    const records = parseCsv(csv);
    expect(records[2]).toEqual(["participant", "p-1", 'Ana, "the GPU"\nin the lab', "llama3.2", "3", "1", "120", "40", "0", "15", "150", "20"]);
    // Nothing measured its TTFT or rate: empty cells, not zeros.
    expect(records[1]).toEqual(["participant", "p-2", "bob", "qwen,2.5:7b", "1", "0", "10", "50", "0", "0", "", ""]);
    expect(records[3]).toEqual(["caller", "caller-0a1b2c3d", "", "llama3.2", "3", "1", "120", "40", "7", "15", "", ""]);
    expect(records[4]).toEqual(["caller", "caller-ffffffff", "", 'model "x"', "1", "0", "10", "50", "0", "0", "", ""]);
  });

  test("a caller's requests no participant took: model empty, its requests and errors, no tokens", () => {
    const records = parseCsv(usageCsv(usageView("K7QX2M", 0, [row("caller", "caller-0a1b2c3d", "", { requests: 4, errors: 3 })])));
    expect(records[1]).toEqual(["caller", "caller-0a1b2c3d", "", "", "4", "3", "0", "0", "0", "0", "", ""]);
  });

  test("an empty ledger is the header alone", () => {
    expect(usageCsv(usageView("K7QX2M", 0, []))).toBe(CSV_HEADER.join(",") + "\r\n");
  });
});
