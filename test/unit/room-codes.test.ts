/** Room codes: 6 unambiguous characters, collisions retried, typed codes matched case-insensitively. */
import { describe, expect, test } from "bun:test";
import { prng } from "../helpers/prng.ts";
import { CODE_ALPHABET, CODE_LENGTH, generateCode, normalizeCode } from "../../src/hub/rooms/codes.ts";


const never = () => false;

describe("alphabet", () => {
  test("32 distinct upper-case letters and digits, without 0/O/1/I", () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(new Set(CODE_ALPHABET).size).toBe(32);
    expect(CODE_ALPHABET).toMatch(/^[A-Z2-9]+$/);
    for (const ambiguous of ["0", "O", "1", "I"]) expect(CODE_ALPHABET).not.toContain(ambiguous);
    expect(CODE_LENGTH).toBe(6);
  });
});

describe("generateCode", () => {
  test("the random draw maps to alphabet positions", () => {
    expect(generateCode(() => 0, never)).toBe("AAAAAA");
    expect(generateCode(() => 0.999999, never)).toBe("999999");
    const draws = [0, 1 / 32, 2 / 32, 8 / 32, 31 / 32, 0.5];
    let i = 0;
    expect(generateCode(() => draws[i++]!, never)).toBe(`ABC${CODE_ALPHABET[8]}9${CODE_ALPHABET[16]}`);
  });

  test("seeded codes are 6 characters from the alphabet and spread over all of it", () => {
    const random = prng(7);
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let n = 0; n < 2000; n++) {
      const code = generateCode(random, never);
      expect(code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
      seen.add(code);
      for (const c of code) chars.add(c);
    }
    expect(seen.size).toBe(2000);
    expect(chars.size).toBe(32);
  });

  test("retries until the code is free", () => {
    const taken = new Set(["AAAAAA", "BBBBBB"]);
    const per = [0, 1 / 32, 2 / 32];
    let calls = 0;
    const random = () => per[Math.floor(calls++ / CODE_LENGTH)]!;
    const asked: string[] = [];
    const code = generateCode(random, (c) => {
      asked.push(c);
      return taken.has(c);
    });
    expect(code).toBe("CCCCCC");
    expect(asked).toEqual(["AAAAAA", "BBBBBB", "CCCCCC"]);
    expect(calls).toBe(3 * CODE_LENGTH);
  });

  test("never returns a taken code with a real random source", () => {
    const random = prng(99);
    const taken = new Set<string>();
    for (let n = 0; n < 500; n++) {
      const code = generateCode(random, (c) => taken.has(c));
      expect(taken.has(code)).toBe(false);
      taken.add(code);
    }
    expect(taken.size).toBe(500);
  });

  test("gives up with an error after 1000 collisions instead of looping forever", () => {
    let asked = 0;
    expect(() =>
      generateCode(Math.random, () => {
        asked++;
        return true;
      }),
    ).toThrow("could not find a free room code");
    expect(asked).toBe(1000);
  });
});

describe("normalizeCode", () => {
  test.each([
    ["ab12cd", "AB12CD"],
    ["  xk7p2m \n", "XK7P2M"],
    ["XK7P2M", "XK7P2M"],
    ["", ""],
  ])("%p → %p", (input, output) => {
    expect(normalizeCode(input)).toBe(output);
  });

  test("a generated code survives being typed in lower case", () => {
    const code = generateCode(prng(3), never);
    expect(normalizeCode(code.toLowerCase())).toBe(code);
  });
});
