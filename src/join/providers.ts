/**
 * The endpoints people join with, as data: the base URL the hub appends `/v1/...` to, whether
 * it usually needs an API key, the header it takes the key in (`Authorization: Bearer …`, but
 * Anthropic's `x-api-key`) and the environment variable the provider's own docs use for it
 * (offered as the default when the key comes from the environment). Local servers listen on
 * their documented default ports. Anthropic's API speaks Messages (and an OpenAI-compatible chat
 * layer): `gambi join --endpoint https://api.anthropic.com --header-env x-api-key=ANTHROPIC_API_KEY`;
 * the hub adds the `anthropic-version` it wants (proxy/headers.ts).
 */
export interface Provider {
  id: string;
  label: string;
  baseUrl: string;
  local: boolean;
  keyEnv?: string;
  /** The header the key goes in, when it is not `Authorization`. */
  keyHeader?: string;
}

export const PROVIDERS: readonly Provider[] = [
  { id: "ollama", label: "Ollama", baseUrl: "http://localhost:11434", local: true },
  { id: "lmstudio", label: "LM Studio", baseUrl: "http://localhost:1234", local: true },
  { id: "vllm", label: "vLLM", baseUrl: "http://localhost:8000", local: true },
  { id: "llamacpp", label: "llama.cpp server", baseUrl: "http://localhost:8080", local: true },
  { id: "openrouter", label: "OpenRouter", baseUrl: "https://openrouter.ai/api", local: false, keyEnv: "OPENROUTER_API_KEY" },
  { id: "together", label: "Together AI", baseUrl: "https://api.together.xyz", local: false, keyEnv: "TOGETHER_API_KEY" },
  { id: "groq", label: "Groq", baseUrl: "https://api.groq.com/openai", local: false, keyEnv: "GROQ_API_KEY" },
  { id: "fireworks", label: "Fireworks", baseUrl: "https://api.fireworks.ai/inference", local: false, keyEnv: "FIREWORKS_API_KEY" },
  { id: "openai", label: "OpenAI", baseUrl: "https://api.openai.com", local: false, keyEnv: "OPENAI_API_KEY" },
  { id: "anthropic", label: "Anthropic", baseUrl: "https://api.anthropic.com", local: false, keyEnv: "ANTHROPIC_API_KEY", keyHeader: "x-api-key" },
];

/** The header a provider takes its key in (`Authorization` unless it says otherwise). */
export function keyHeaderOf(provider: Provider | undefined): string {
  return provider?.keyHeader ?? "Authorization";
}

export const DEFAULT_ENDPOINT = PROVIDERS[0]!.baseUrl;

/** The provider a base URL belongs to (by host and port), if it is one of the list. */
export function providerFor(baseUrl: string): Provider | undefined {
  let host: string;
  try {
    host = new URL(baseUrl).host;
  } catch {
    return undefined;
  }
  return PROVIDERS.find((p) => new URL(p.baseUrl).host === host);
}

/**
 * Cloud providers take `Authorization: Bearer <key>`. A bare key typed or stored for the
 * Authorization header gets the scheme added (a common slip that would otherwise be a 401);
 * anything that already names a scheme, or any other header, is left as it is.
 */
export function withBearerScheme(headerName: string, value: string): { value: string; added: boolean } {
  const trimmed = value.trim();
  if (headerName.toLowerCase() !== "authorization" || /^\S+\s+\S/.test(trimmed)) return { value: trimmed, added: false };
  return { value: `Bearer ${trimmed}`, added: true };
}
