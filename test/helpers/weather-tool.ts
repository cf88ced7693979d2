/**
 * The Vercel AI SDK tools the tool-loop tests give a model: `get_weather(city)`, answering
 * "sunny", for the chat bot (chat-bot.ts); `get_capital(country)`, answering "Paris", for the
 * recorded Responses function call (responses/openai-function-call.sse). Each records its calls.
 */
import { jsonSchema, tool } from "ai";

export function weatherTools(calls: unknown[]) {
  return {
    get_weather: tool({
      description: "weather in a city",
      inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
      execute: async (input) => {
        calls.push(input);
        return "sunny";
      },
    }),
  };
}

export function capitalTools(calls: unknown[]) {
  return {
    get_capital: tool({
      inputSchema: jsonSchema<{ country: string }>({ type: "object", properties: { country: { type: "string" } }, required: ["country"] }),
      execute: async (input) => {
        calls.push(input);
        return "Paris";
      },
    }),
  };
}
