/**
 * The TUI's "create a room" form as pure data: a name, an optional password (drawn as dots)
 * and an optional defaults file (JSON, as `gambi create --config`). `createFormKey` turns one
 * key into the next form and, on Enter at the button, the "create" action.
 */
import type { Key } from "./keys.ts";

export interface CreateForm {
  name: string;
  password: string;
  defaultsFile: string;
  focus: "name" | "password" | "defaults" | "create";
  busy: boolean;
  error?: string;
}

const ORDER: CreateForm["focus"][] = ["name", "password", "defaults", "create"];

export function newCreateForm(): CreateForm {
  return { name: "", password: "", defaultsFile: "", focus: "name", busy: false };
}

const FIELD = { name: "name", password: "password", defaults: "defaultsFile" } as const;

export function createFormKey(f: CreateForm, k: Key): { form: CreateForm; action?: "create" | "back" } {
  if (k === "escape") return { form: f, action: "back" };
  if (f.busy) return { form: f };
  const at = ORDER.indexOf(f.focus);
  if (k === "up" || k === "shift-tab") return { form: { ...f, focus: ORDER[Math.max(0, at - 1)]! } };
  if (k === "down" || k === "tab") return { form: { ...f, focus: ORDER[Math.min(ORDER.length - 1, at + 1)]! } };
  if (k === "enter") return f.focus === "create" ? { form: f, action: "create" } : { form: { ...f, focus: ORDER[at + 1]! } };
  if (f.focus === "create") return { form: f };
  const key = FIELD[f.focus];
  if (k === "backspace") return { form: { ...f, [key]: f[key].slice(0, -1) } };
  if (typeof k === "object") return { form: { ...f, [key]: f[key] + k.char } };
  return { form: f };
}
