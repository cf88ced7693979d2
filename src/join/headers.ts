/**
 * `--header Name=Value` and `--header-env Name=ENV_VAR`: the auth headers a participant sends
 * to its own endpoint. Values read from the environment are resolved here, at start, and never
 * printed; messages name the header and the variable, never a value.
 */
import { isHeaderName } from "../common/http-header.ts";
import { UsageError } from "../terminal/errors.ts";

function split(raw: string, flag: string, rhs: string): [string, string] {
  const eq = raw.indexOf("=");
  if (eq === -1) throw new UsageError(`${flag} expects Name=${rhs} (e.g. ${flag} Authorization=${flag === "--header-env" ? "OPENROUTER_AUTH" : "'Bearer ...'"}), got no "="`);
  const name = raw.slice(0, eq).trim();
  if (!name) throw new UsageError(`${flag} expects Name=${rhs}: the header name is empty`);
  if (!isHeaderName(name)) throw new UsageError(`${flag}: "${name.slice(0, 40)}" is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~ only)`);
  return [name, raw.slice(eq + 1)];
}

export function parseHeader(raw: string): [string, string] {
  const [name, value] = split(raw, "--header", "Value");
  if (/[\r\n\0]/.test(value)) throw new UsageError(`--header ${name}: the value must not contain CR, LF or NUL`);
  return [name, value];
}

export function parseHeaderEnv(raw: string, env: Record<string, string | undefined>): [string, string] {
  const [name, variable] = split(raw, "--header-env", "ENV_VAR");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new UsageError(`--header-env ${name}: "${variable.slice(0, 40)}" is not an environment variable name`);
  const value = env[variable];
  if (value === undefined || value === "") throw new UsageError(`--header-env ${name}=${variable}: the environment variable ${variable} is not set or empty`);
  if (/[\r\n\0]/.test(value)) throw new UsageError(`--header-env ${name}=${variable}: the value of ${variable} contains CR, LF or NUL`);
  return [name, value];
}

/** An auth header as the join flow carries it: the value, and where it came from. */
export interface AuthHeaderEntry {
  name: string;
  value: string;
  /** Set when the value came from an environment variable: the only kind a profile may save. */
  env?: string;
}

export function resolveAuthHeaderEntries(headers: string[], headerEnvs: string[], env: Record<string, string | undefined>): AuthHeaderEntry[] {
  const out: AuthHeaderEntry[] = headers.map((raw) => {
    const [name, value] = parseHeader(raw);
    return { name, value };
  });
  for (const raw of headerEnvs) {
    const [name, value] = parseHeaderEnv(raw, env);
    out.push({ name, value, env: raw.slice(raw.indexOf("=") + 1) });
  }
  return out;
}

/** Header entries → the `authHeaders` object; a later entry for the same name wins. */
export function headerRecord(entries: AuthHeaderEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

export function resolveAuthHeaders(headers: string[], headerEnvs: string[], env: Record<string, string | undefined>): Record<string, string> {
  return headerRecord(resolveAuthHeaderEntries(headers, headerEnvs, env));
}
