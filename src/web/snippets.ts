/**
 * The Connect section's copy-paste snippets, filled in with this room's base URL and model
 * names. A protected room's password is never written into them: they read it from
 * `$GAMBI_ROOM_PASSWORD`, which the reader sets. Anthropic's SDKs and Claude Code take the
 * room's URL without `/v1` (they append `/v1/messages` themselves). Pure.
 */
export interface SnippetInput {
  /** The hub as the browser reached it, e.g. `http://192.168.1.20:3000`. */
  origin: string;
  code: string;
  /** The room's models, first the one the snippets use; empty: `*` (any participant). */
  models: string[];
  passwordProtected: boolean;
}

export interface Snippet {
  id: string;
  title: string;
  text: string;
}

export const ENV = "GAMBI_ROOM_PASSWORD";

const py = (s: string) => JSON.stringify(s);
/** A shell word: single-quoted, so nothing in a model name is expanded. */
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The URL Anthropic's clients are given: the room's, without `/v1`. */
export const anthropicBase = (origin: string, code: string) => `${origin}/rooms/${code}`;

export function snippets(i: SnippetInput): Snippet[] {
  const base = `${i.origin}/rooms/${i.code}/v1`;
  const model = i.models[0] ?? "*";
  const p = i.passwordProtected;
  const body = JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "Hello!" }] });
  const keyNote = p ? `# The room's password: export ${ENV}=...\n` : "";
  const jsKey = p ? `process.env.${ENV}` : `"gambi"`;
  const pyKey = p ? `os.environ[${py(ENV)}]` : `"gambi"`;
  // An open room's key may be anything: said after the statement that builds the client, since
  // a line comment inside its parentheses would swallow the rest of that line.
  const jsNote = p ? "" : " // the API key: any value, the room has no password";
  const pyNote = p ? "" : "  # the API key: any value, the room has no password";
  return [
    {
      id: "curl",
      title: "curl",
      text: `${keyNote}curl -N ${base}/chat/completions \\\n  -H 'content-type: application/json' \\\n${p ? `  -H "authorization: Bearer $${ENV}" \\\n` : ""}  -d '${body}'`,
    },
    {
      id: "python",
      title: "Python (openai)",
      text: `${keyNote}import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=${py(base)}, api_key=${pyKey})${pyNote}\nstream = client.chat.completions.create(\n    model=${py(model)},\n    messages=[{"role": "user", "content": "Hello!"}],\n    stream=True,\n)\nfor chunk in stream:\n    print(chunk.choices[0].delta.content or "", end="", flush=True)`,
    },
    {
      id: "js",
      title: "JavaScript (openai)",
      text: `${keyNote.replace("#", "//")}import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: ${py(base)}, apiKey: ${jsKey} });${jsNote}\nconst stream = await client.responses.create({ model: ${py(model)}, input: "Hello!", stream: true });\nfor await (const event of stream) {\n  if (event.type === "response.output_text.delta") process.stdout.write(event.delta);\n}`,
    },
    {
      id: "ai-sdk",
      title: "Vercel AI SDK",
      text: `${keyNote.replace("#", "//")}import { createOpenAI } from "@ai-sdk/openai";\nimport { streamText } from "ai";\n\nconst gambi = createOpenAI({ baseURL: ${py(base)}, apiKey: ${jsKey} });${jsNote}\nconst result = streamText({ model: gambi.chat(${py(model)}), prompt: "Hello!" });\nfor await (const text of result.textStream) process.stdout.write(text);`,
    },
    {
      id: "langchain",
      title: "LangChain (Python)",
      text: `${keyNote}import os\nfrom langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(base_url=${py(base)}, api_key=${pyKey}, model=${py(model)})${pyNote}\nfor chunk in llm.stream("Hello!"):\n    print(chunk.content, end="", flush=True)`,
    },
    {
      id: "anthropic-python",
      title: "Python (anthropic)",
      text: `${keyNote}import os\nfrom anthropic import Anthropic\n\n# The room's URL without /v1: the SDK adds /v1/messages.\nclient = Anthropic(base_url=${py(anthropicBase(i.origin, i.code))}, api_key=${pyKey})${pyNote}\nwith client.messages.stream(\n    model=${py(model)},\n    max_tokens=1024,\n    messages=[{"role": "user", "content": "Hello!"}],\n) as stream:\n    for text in stream.text_stream:\n        print(text, end="", flush=True)`,
    },
    {
      id: "anthropic-js",
      title: "JavaScript (anthropic)",
      text: `${keyNote.replace("#", "//")}import Anthropic from "@anthropic-ai/sdk";\n\n// The room's URL without /v1: the SDK adds /v1/messages.\nconst client = new Anthropic({ baseURL: ${py(anthropicBase(i.origin, i.code))}, apiKey: ${jsKey} });${jsNote}\nconst stream = client.messages.stream({ model: ${py(model)}, max_tokens: 1024, messages: [{ role: "user", content: "Hello!" }] });\nstream.on("text", (text) => process.stdout.write(text));\nawait stream.finalMessage();`,
    },
    {
      id: "claude-code",
      title: "Claude Code",
      text:
        `${keyNote}export ANTHROPIC_BASE_URL=${anthropicBase(i.origin, i.code)}\n` +
        (p ? `export ANTHROPIC_AUTH_TOKEN="$${ENV}"\n` : `export ANTHROPIC_AUTH_TOKEN=gambi  # any value: the room has no password\n`) +
        `export ANTHROPIC_MODEL=${sh(model)}\nexport ANTHROPIC_DEFAULT_HAIKU_MODEL=${sh(model)}  # its small model, for background tasks\nclaude`,
    },
    {
      id: "codex",
      title: "Codex CLI (~/.codex/config.toml)",
      text: `${p ? `# The room's password: export ${ENV}=...\n` : ""}model = ${py(model)}\nmodel_provider = "gambi"\n\n[model_providers.gambi]\nname = "gambi room ${i.code}"\nbase_url = ${py(base)}\nwire_api = "responses"${p ? `\nenv_key = ${py(ENV)}` : ""}`,
    },
    {
      id: "join",
      title: "Contribute a model (gambi join)",
      text: `${p ? `# The room's password: export ${ENV}=...\n` : ""}gambi join --hub ${i.origin} --code ${i.code} \\\n  --endpoint http://localhost:11434 --model llama3.2 --nickname my-laptop${p ? ` \\\n  --password "$${ENV}"` : ""}`,
    },
  ];
}
