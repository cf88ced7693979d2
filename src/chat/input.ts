/**
 * Where prompts come from when none is given on the command line: all of a piped stdin, or one
 * line at a time from the terminal.
 *
 * The interactive loop reads lines with node:readline rather than @clack/prompts' `text`: clack
 * redraws a framed widget and owns the screen while it is up, which fights with an answer
 * streamed to stdout between prompts; readline gives a plain `> ` line with editing and
 * up-arrow history, and says plainly when the user pressed Ctrl-D or Ctrl-C. A fresh interface
 * is made per question and closed before the answer streams, so the terminal is back in
 * cooked mode and Ctrl-C during an answer arrives as SIGINT (which aborts the request).
 */
import { createInterface } from "node:readline";

export async function readStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** What the user did at the prompt. */
export type LineResult = { kind: "line"; line: string } | { kind: "eof" } | { kind: "interrupt" };

/** One line from the terminal; `history` (newest first) is offered to the up arrow and grows. */
export function askLine(prompt: string, history: string[]): Promise<LineResult> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, history: [...history], historySize: 200 });
    let result: LineResult = { kind: "eof" };
    rl.once("line", (line) => {
      result = { kind: "line", line };
      if (line.trim() && history[0] !== line) history.unshift(line);
      rl.close();
    });
    rl.once("SIGINT", () => {
      result = { kind: "interrupt" };
      process.stdout.write("\n");
      rl.close();
    });
    rl.once("close", () => {
      if (result.kind === "eof") process.stdout.write("\n"); // Ctrl-D leaves the cursor on the prompt line
      resolve(result);
    });
    rl.setPrompt(prompt);
    rl.prompt();
  });
}
