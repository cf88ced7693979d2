/**
 * usageInChatBytes reads a passthrough chat body's usage from its bytes, without parsing the
 * body: it must agree with parsing it (usageFromChat of JSON.parse(body).usage) on every
 * recorded chat body and on the shapes below.
 */
import { describe, expect, test } from "bun:test";
import { usageFromChat } from "../../src/protocol/observe.ts";
import { usageInChatBytes } from "../../src/protocol/usage-in-bytes.ts";
import { loadFixtures } from "../helpers/fixtures.ts";

const enc = new TextEncoder();
const parsed = (text: string) => usageFromChat((JSON.parse(text) as { usage?: unknown }).usage);

describe("usageInChatBytes", () => {
  const bodies = loadFixtures().filter((f) => f.name.startsWith("chat/") && f.name.endsWith(".json"));

  test("the recorded chat bodies: as parsing them says", () => {
    expect(bodies.length).toBeGreaterThan(5);
    let withUsage = 0;
    for (const f of bodies) {
      const text = new TextDecoder().decode(f.bytes);
      const expected = parsed(text);
      if (expected) withUsage++;
      expect({ name: f.name, usage: usageInChatBytes(f.bytes) }).toEqual({ name: f.name, usage: expected });
    }
    expect(withUsage).toBeGreaterThan(3);
  });

  test.each([
    ['{"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}', "compact"],
    ['{ "usage" : { "prompt_tokens" : 0 , "completion_tokens" : 7 } }', "spaces, a zero, no total"],
    ['{"usage":{"prompt_tokens_details":{"cached_tokens":3,"prompt_tokens":99},"prompt_tokens":12,"completion_tokens":1,"total_tokens":13}}', "a nested object with the same key name"],
    ['{"usage":{"note":"a } and a \\" and \\"prompt_tokens\\": 5","completion_tokens":2}}', "strings with braces, quotes and a key's text"],
    ['{"usage":{"prompt_tokens":null,"completion_tokens":"4","total_tokens":4}}', "values that are not numbers"],
    ['{"usage":{"prompt_tokens":1e3,"completion_tokens":2.5,"total_tokens":-1}}', "exponents, fractions, signs"],
    ['{"usage":{"list":[1,{"prompt_tokens":9}],"completion_tokens":2}}', "arrays"],
    ['{"usage":{"prompt_tokens":1,"prompt_tokens":2}}', "a key twice: the last"],
    ['{"usage":null}', "null"],
    ['{"usage":{}}', "empty"],
    ['{"choices":[{"message":{"content":"about \\"usage\\""}}]}', "the word in the content only"],
  ])("%s (%s)", (text) => {
    expect(usageInChatBytes(enc.encode(text))).toEqual(parsed(text));
  });

  test("ten thousand generated bodies (seeded): as parsing them says", () => {
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    const space = () => [" ", "", "\n", "\t", "\r\n  "][rand(5)]!;
    const keys = ["prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "cost", "prompt\\u005ftokens", "total_tokens\\n", "x"];
    const scalars = ["0", "7", "12", "4096", "null", "true", '"9"', "-3", "2.5", "1e2", "1E1", "9007199254740993", '"a } , \\" ]"'];
    const value = (depth: number): string => {
      const pick = rand(depth > 2 ? 1 : 4);
      if (pick === 1) return `{${members(depth + 1)}}`;
      if (pick === 2) return `[${space()}${value(depth + 1)}${space()},${space()}${value(depth + 1)}]`;
      return scalars[rand(scalars.length)]!;
    };
    const members = (depth: number): string =>
      Array.from({ length: rand(5) }, () => `${space()}"${keys[rand(keys.length)]}"${space()}:${space()}${value(depth)}${space()}`).join(",");
    let counted = 0;
    for (let i = 0; i < 10_000; i++) {
      const text = `{"id":"x","choices":[{"message":{"content":"a \\"usage\\": {}"}}],${space()}"usage"${space()}:${space()}{${members(1)}}${space()}}`;
      const expected = parsed(text);
      if (expected) counted++;
      expect({ text, usage: usageInChatBytes(enc.encode(text)) }).toEqual({ text, usage: expected });
    }
    expect(counted).toBeGreaterThan(1500);
  });

  test("a body cut inside the usage object: none", () => {
    expect(usageInChatBytes(enc.encode('{"usage":{"prompt_tokens":12,"completion_'))).toBeUndefined();
  });
});
