/**
 * Room codes: 6 characters from an alphabet without 0/O and 1/I, so a code read aloud or
 * copied from a screen is never ambiguous. 32^6 ≈ 1.07e9 codes; collisions are retried.
 */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const CODE_LENGTH = 6;

export function generateCode(random: () => number, taken: (code: string) => boolean): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    let code = "";
    for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)];
    if (!taken(code)) return code;
  }
  throw new Error("could not find a free room code");
}

/** Codes are matched case-insensitively: people type them. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}
