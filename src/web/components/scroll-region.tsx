/**
 * A wide table's box, scrolled sideways on a phone. It takes the keyboard's focus (Tab, then the
 * arrow keys scroll it), so its columns past the edge are not out of reach without a pointer, and
 * it is named for the screen reader that lands on it.
 */
import type { ComponentChildren } from "preact";

export function ScrollRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
