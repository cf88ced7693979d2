/** The Vercel AI SDK tool the tool-loop tests give a model: `get_weather(city)`, answering "sunny" and recording each call. */
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
