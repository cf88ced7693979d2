/** The page's frame: the header (home link, theme switch) and the hub page or a room's. */
import { useState } from "preact/hooks";
import { applyTheme, nextTheme, savedTheme, type Theme } from "../theme.ts";
import { HubPage } from "./hub-page.tsx";
import { RoomPage } from "./room-page.tsx";

/** The room code of a `/r/CODE` path, upper-cased as codes are; undefined for the hub page. */
export function roomCodeOf(path: string): string | undefined {
  const m = /^\/r\/([^/]+)\/?$/.exec(path);
  return m ? decodeURIComponent(m[1]!).toUpperCase() : undefined;
}

export function App({ path }: { path: string }) {
  const code = roomCodeOf(path);
  const [theme, setTheme] = useState<Theme>(savedTheme());
  const switchTheme = () => {
    const t = nextTheme(theme);
    applyTheme(t);
    setTheme(t);
  };
  return (
    <>
      <header class="top">
        <a class="brand" href="/">
          gambi
        </a>
        {code ? <span class="crumb">room {code}</span> : <span class="crumb">hub</span>}
        <button type="button" class="ghost" onClick={switchTheme} aria-label={`Theme: ${theme}. Switch theme`}>
          {theme === "auto" ? "◐ auto" : theme === "dark" ? "☾ dark" : "☀ light"}
        </button>
      </header>
      <main>{code ? <RoomPage code={code} /> : <HubPage />}</main>
    </>
  );
}
