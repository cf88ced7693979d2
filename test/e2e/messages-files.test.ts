/**
 * Files across the Messages ↔ Chat Completions translation, through real hubs on port 0 with
 * real clients: the `openai` package sends a Messages-only participant a plain-text file and a
 * PDF as chat `file` parts (they arrive as Anthropic's document blocks, the text decoded), and
 * `@anthropic-ai/sdk` sends a chat-only participant a PDF document block (it arrives as a chat
 * `file` part). What cannot cross is a 400 in the client's API's shape, naming the field, and
 * nothing reaches the participant. (A Responses client's files: messages-responses-files.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { startMessagesRoom, startOneProtocolRooms, type MessagesRoom, type OneProtocolRooms } from "../helpers/one-protocol-rooms.ts";
import { loadFixtures } from "../helpers/fixtures.ts";
import { chatBotAnswer } from "../helpers/chat-bot.ts";
import { failure } from "../helpers/failure.ts";

type Json = Record<string, any>;

let messagesRoom: MessagesRoom;
let chatRooms: OneProtocolRooms;
const fixture = (name: string) => loadFixtures(["messages"]).find((f) => f.name === name)!;
const reply = (name: string, type: string) => () => new Response(fixture(name).bytes, { headers: { "content-type": type } });

const NOTES = "Ação: ship it ✓\nsecond line\n";
const TEXT = `data:text/plain;base64,${Buffer.from(NOTES, "utf8").toString("base64")}`;
const PDF_DATA = "JVBERi0xLjQKJcfsj6IKdHJhaWxlcgo8PD4+CiUlRU9GCg==";
const PDF = `data:application/pdf;base64,${PDF_DATA}`;

beforeAll(async () => {
  messagesRoom = await startMessagesRoom();
  chatRooms = await startOneProtocolRooms({ chatModel: "bot" });
  chatRooms.chat.upstream.handle((_req, body) => chatBotAnswer(JSON.parse(body)));
});
afterAll(async () => {
  await messagesRoom?.stop();
  await chatRooms?.stop();
});

describe("a chat client's files reach a Messages participant as document blocks", () => {
  const openai = () => new OpenAI({ baseURL: `${messagesRoom.hub.url}/rooms/${messagesRoom.room}/v1`, apiKey: "unused", maxRetries: 0 });
  const sent = () => JSON.parse(messagesRoom.upstream.inference().at(-1)!.body) as Json;

  test("a plain-text file (decoded) and a PDF, with their filenames as titles, streamed", async () => {
    messagesRoom.upstream.handle(reply("messages/anthropic-text-usage.sse", "text/event-stream"));
    const stream = await openai().chat.completions.create({
      model: "*",
      stream: true,
      messages: [
        {
          role: "user",
          content: [
            { type: "file", file: { filename: "notes.txt", file_data: TEXT } },
            { type: "file", file: { filename: "report.pdf", file_data: PDF } },
            { type: "text", text: "Do they agree?" },
          ],
        },
      ],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(sent().messages).toEqual([
      {
        role: "user",
        content: [
          { type: "document", source: { type: "text", media_type: "text/plain", data: NOTES }, title: "notes.txt" },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF_DATA }, title: "report.pdf" },
          { type: "text", text: "Do they agree?" },
        ],
      },
    ]);
  });

  test("a plain-text file that is not UTF-8: a 400 in OpenAI's shape naming its file_data, and nothing reaches the participant", async () => {
    const before = messagesRoom.upstream.inference().length;
    const latin1 = `data:text/plain;base64,${Buffer.from("caf\xe9", "latin1").toString("base64")}`;
    const err = await failure(openai().chat.completions.create({ model: "*", messages: [{ role: "user", content: [{ type: "file", file: { filename: "menu.txt", file_data: latin1 } }] }] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect([e.status, e.code, e.param]).toEqual([400, "invalid_request", "messages[0].content[0].file.file_data"]);
    expect(e.message).toContain("not UTF-8");
    expect(messagesRoom.upstream.inference().length).toBe(before);
  });
});

describe("a Messages client's PDF reaches a chat participant as a file part", () => {
  const anthropic = () => new Anthropic({ baseURL: `${chatRooms.hub.url}/rooms/${chatRooms.chat.room}`, apiKey: "unused", maxRetries: 0 });
  const sent = () => JSON.parse(chatRooms.chat.upstream.inference().at(-1)!.body) as Json;

  test("a titled PDF and a plain-text document, not streamed: the file part carries the data URL and the title as its filename", async () => {
    const msg = await anthropic().messages.create({
      model: "*",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "document", title: "report.pdf", source: { type: "base64", media_type: "application/pdf", data: PDF_DATA } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: NOTES } },
            { type: "text", text: "summarize" },
          ],
        },
      ],
    });
    expect(msg.content).toEqual([{ type: "text", text: `turn 1: ${NOTES}summarize` } as any]);
    expect(sent().messages).toEqual([
      {
        role: "user",
        content: [
          { type: "file", file: { filename: "report.pdf", file_data: PDF } },
          { type: "text", text: NOTES },
          { type: "text", text: "summarize" },
        ],
      },
    ]);
  });

  test("a PDF by URL (a chat file part takes only data): a 400 in Anthropic's shape naming the field, and nothing reaches the participant", async () => {
    const before = chatRooms.chat.upstream.inference().length;
    const err = await failure(
      anthropic().messages.create({
        model: "*",
        max_tokens: 100,
        messages: [{ role: "user", content: [{ type: "text", text: "read" }, { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } }] }],
      }),
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as Json;
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("messages[0].content[1].source.type");
    expect(body.error.message).toContain("Chat Completions");
    expect(chatRooms.chat.upstream.inference().length).toBe(before);
  });
});
