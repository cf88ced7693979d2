/**
 * What the person typed that the hub asks for: the hub token and each room's password, kept
 * in this tab's sessionStorage only (gone when the tab closes, never in localStorage or a
 * cookie) and sent as the bearer of the hub's own API. The page never receives them back.
 */
const HUB_TOKEN = "gambi.hubToken";
const roomKey = (code: string) => `gambi.room.${code.toUpperCase()}`;

function read(key: string): string | undefined {
  try {
    return sessionStorage.getItem(key) ?? undefined;
  } catch {
    return undefined; // storage disabled: the person types it again
  }
}

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // storage disabled: kept for this page's life only (callers hold it in state too)
  }
}

export const hubToken = () => read(HUB_TOKEN);
export const setHubToken = (token: string | undefined) => write(HUB_TOKEN, token);
export const roomPassword = (code: string) => read(roomKey(code));
export const setRoomPassword = (code: string, password: string | undefined) => write(roomKey(code), password);
