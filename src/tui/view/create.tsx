/** The "create a room" form. */
import { Box } from "ink";
import type { CreateForm } from "../create-form.ts";
import { Button, Field } from "./fields.tsx";
import { Line } from "./theme.tsx";

export function Create({ f }: { f: CreateForm }) {
  return (
    <Box flexDirection="column">
      <Line tone="bold">Create a room</Line>
      <Line />
      <Field label="Name" value={f.name} focused={f.focus === "name"} placeholder="gambi room" />
      <Field label="Password" value={f.password} focused={f.focus === "password"} secret placeholder="(optional: open room)" />
      <Field label="Defaults file" value={f.defaultsFile} focused={f.focus === "defaults"} placeholder="(optional: JSON, e.g. room.json)" />
      <Line />
      <Button label={f.busy ? "Creating…" : "Create"} focused={f.focus === "create"} />
      {f.error ? <Line tone="red">{f.error}</Line> : null}
    </Box>
  );
}
