/** The page's entry (index.html loads it): the hub page at `/`, a room's at `/r/CODE`. */
import { render } from "preact";
import { App } from "./components/app.tsx";
import { applyTheme, savedTheme } from "./theme.ts";

applyTheme(savedTheme());
render(<App path={location.pathname} />, document.getElementById("app")!);
