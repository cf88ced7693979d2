/**
 * Colour as a React context: `NO_COLOR` (https://no-color.org) turns every tone off, so the
 * components stay the same and only the escape codes go. Selection stays visible without
 * colour through the "›" marker the screens draw.
 */
import { Text } from "ink";
import { createContext, useContext, type ReactNode } from "react";

export const ColourContext = createContext(true);

export type Tone = "bold" | "dim" | "inverse" | "green" | "red" | "yellow" | "cyan";

const PROPS: Record<Tone, Record<string, unknown>> = {
  bold: { bold: true },
  dim: { dimColor: true },
  inverse: { inverse: true },
  green: { color: "green" },
  red: { color: "red" },
  yellow: { color: "yellow" },
  cyan: { color: "cyan" },
};

/** One line of text, cut with "…" at the box's width (never wrapped: rows are counted). */
export function Line({ tone, children }: { tone?: Tone | false; children?: ReactNode }) {
  const colour = useContext(ColourContext);
  const props = colour && tone ? PROPS[tone] : {};
  return (
    <Text wrap="truncate-end" {...props}>
      {children === undefined || children === "" ? " " : children}
    </Text>
  );
}

/** `NO_COLOR` set to anything non-empty turns colour off. */
export const colourFor = (env: Record<string, string | undefined>): boolean => !env.NO_COLOR;
