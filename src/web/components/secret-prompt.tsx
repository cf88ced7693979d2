/** Asks for a password or token the hub wants (a room's password, the hub token). */
import { useState } from "preact/hooks";

interface Props {
  title: string;
  label: string;
  hint?: string;
  error?: string;
  submit?: string;
  onSubmit(value: string): void;
}

export function SecretPrompt({ title, label, hint, error, submit = "Continue", onSubmit }: Props) {
  const [value, setValue] = useState("");
  const id = `secret-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <form
      class="card prompt"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        if (value) onSubmit(value);
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {hint && <p class="muted">{hint}</p>}
      <label for={id}>{label}</label>
      <input id={id} type="password" autocomplete="off" required value={value} onInput={(e) => setValue(e.currentTarget.value)} autoFocus />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">{submit}</button>
      <p class="muted small">Kept in this tab only (session storage), sent to the hub as the bearer.</p>
    </form>
  );
}
