/**
 * `gambi tui`'s terminal side, on Ink: the alternate screen, raw keys (mapped to the TUI's own
 * key names), redraws on resize, and a clean exit. `q` / Ctrl-C / SIGTERM leave the joined room
 * (if any), unmount, and put the terminal back as it was.
 */
import { render, useInput, useStdout } from "ink";
import { useEffect, useState, useSyncExternalStore } from "react";
import { createHubClient } from "../client.ts";
import { createController, type Controller } from "./controller.ts";
import { fromInk } from "./keys.ts";
import { Screen } from "./view/screen.tsx";
import { colourFor } from "./view/theme.tsx";

export interface TuiOptions {
  hubUrl: string;
  /** The name the hub was announced under, when it was found on the local network. */
  foundAs?: string;
  token?: string;
  ca?: string;
}

function useTerminalSize() {
  const { stdout } = useStdout();
  const read = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => void stdout.off("resize", onResize);
  }, [stdout]);
  return size;
}

function App({ controller, colour }: { controller: Controller; colour: boolean }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const size = useTerminalSize();
  useInput((input, key) => {
    for (const k of fromInk(input, key)) controller.onKey(k);
  });
  return <Screen s={state} size={size} colour={colour} />;
}

/** Runs until q / Ctrl-C / SIGTERM; resolves with the exit code once the terminal is restored. */
export async function runTui(opts: TuiOptions): Promise<number> {
  const client = createHubClient(opts.hubUrl, { token: opts.token, ca: opts.ca, timeoutMs: 5000 });
  const controller = createController({ client, env: process.env, foundAs: opts.foundAs });
  process.stdout.write("\x1b[?1049h\x1b[2J\x1b[H");
  const ink = render(<App controller={controller} colour={colourFor(process.env)} />, { exitOnCtrlC: false, patchConsole: true });
  const stop = () => void controller.quit();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await new Promise<void>((resolve) => controller.start(resolve));
  process.off("SIGTERM", stop);
  process.off("SIGINT", stop);
  // Unmounting writes the last frame synchronously; Ink's exit promise is not awaited, as it
  // does not settle after an unmount from outside the app.
  ink.unmount();
  // Written and flushed before the caller exits the process: the main screen must come back.
  await new Promise<void>((resolve) => process.stdout.write("\x1b[0m\x1b[?25h\x1b[?1049l", () => resolve()));
  return 0;
}
