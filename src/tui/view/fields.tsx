/** Form rows shared by the join and create screens: a label, a value, the focus marker "›". */
import { Line } from "./theme.tsx";

const LABEL = 16;

export function Field(props: { label: string; value: string; focused: boolean; secret?: boolean; placeholder?: string; note?: string; problem?: string; indent?: number }) {
  const shown = props.secret ? "•".repeat(props.value.length) : props.value;
  const body = shown || (props.focused ? "" : (props.placeholder ?? ""));
  const cursor = props.focused ? "█" : "";
  const marker = props.focused ? "›" : " ";
  const after = props.problem ? `  ✗ ${props.problem}` : props.note ? `  ${props.note}` : "";
  return (
    <Line tone={props.problem ? "red" : props.focused && "cyan"}>
      {`${marker} ${" ".repeat(props.indent ?? 0)}${props.label.padEnd(LABEL)}${body}${cursor}${after}`}
    </Line>
  );
}

/** A choice cycled with ←/→. */
export function Choice(props: { label: string; value: string; focused: boolean; note?: string; warn?: boolean }) {
  return (
    <Line tone={props.warn ? "yellow" : props.focused && "cyan"}>
      {`${props.focused ? "›" : " "} ${props.label.padEnd(LABEL)}‹ ${props.value} ›${props.note ? `  ${props.note}` : ""}`}
    </Line>
  );
}

export function Button(props: { label: string; focused: boolean }) {
  return <Line tone={props.focused ? "inverse" : "bold"}>{`${props.focused ? "›" : " "} [ ${props.label} ]`}</Line>;
}
