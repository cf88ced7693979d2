/** Copy-paste snippets for this room: its real base URL and model names, in each client people use. */
import { useState } from "preact/hooks";
import { anthropicBase, snippets } from "../snippets.ts";
import { CopyButton } from "./copy-button.tsx";

export function Connect({ code, models, passwordProtected }: { code: string; models: string[]; passwordProtected: boolean }) {
  const all = snippets({ origin: location.origin, code, models, passwordProtected });
  const [shown, setShown] = useState(all[0]!.id);
  const snippet = all.find((s) => s.id === shown) ?? all[0]!;
  return (
    <section class="card" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect</h2>
      <p class="muted small">
        Base URL <code data-testid="base-url">{`${location.origin}/rooms/${code}/v1`}</code>
        {passwordProtected ? " · API key: the room's password" : " · any API key"}
        <br />
        Anthropic's SDKs and Claude Code: <code data-testid="anthropic-base-url">{anthropicBase(location.origin, code)}</code> (no <code>/v1</code>: they add <code>/v1/messages</code>)
      </p>
      <div class="tabs" role="group" aria-label="Client">
        {all.map((s) => (
          <button key={s.id} type="button" class={s.id === shown ? "tab on" : "tab"} aria-pressed={s.id === shown} onClick={() => setShown(s.id)}>
            {s.title}
          </button>
        ))}
      </div>
      <div class="snippet">
        <CopyButton text={snippet.text} label={snippet.title} />
        <pre tabIndex={0} role="region" aria-label={`${snippet.title} snippet`} data-testid="snippet">
          <code>{snippet.text}</code>
        </pre>
      </div>
    </section>
  );
}
