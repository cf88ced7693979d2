/**
 * Copies text to the clipboard. A hub on a LAN is usually plain http, where browsers give no
 * `navigator.clipboard`: then a hidden textarea and `execCommand("copy")` do it.
 */
import { useState } from "preact/hooks";

async function copy(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand("copy");
  } finally {
    area.remove();
  }
}

/**
 * Its name says what it copies ("Copy curl", the visible word first, as what is read out must
 * contain what is seen); the outcome shows on the button and is announced by a status line.
 */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string | undefined>();
  return (
    <>
      <button
        type="button"
        class="ghost"
        onClick={async () => {
          setDone((await copy(text)) ? "Copied" : "Select and copy by hand");
          setTimeout(() => setDone(undefined), 2000);
        }}
      >
        {done ?? "Copy"}
        <span class="sr-only"> {label}</span>
      </button>
      <span class="sr-only" role="status">
        {done}
      </span>
    </>
  );
}
