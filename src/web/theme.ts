/** Light, dark, or the system's choice (the default), kept in localStorage: a preference, not a secret. */
export type Theme = "auto" | "light" | "dark";
const KEY = "gambi.theme";

export function savedTheme(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "auto";
  } catch {
    return "auto";
  }
}

export function applyTheme(theme: Theme): void {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  try {
    if (theme === "auto") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // storage disabled: the choice lasts this page
  }
}

export const nextTheme = (t: Theme): Theme => (t === "auto" ? "dark" : t === "dark" ? "light" : "auto");
