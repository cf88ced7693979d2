/** Friendly default nicknames ("brave-otter-42"): readable in a room list, unlikely to collide. */
const ADJECTIVES = ["brave", "calm", "clever", "eager", "gentle", "happy", "jolly", "keen", "lucky", "merry", "nimble", "quick", "quiet", "sunny", "swift", "witty"];
const ANIMALS = ["otter", "panda", "falcon", "koala", "lynx", "heron", "badger", "fox", "gecko", "ibis", "marten", "orca", "puffin", "quokka", "tapir", "yak"];

export function friendlyName(random: () => number = Math.random): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${Math.floor(random() * 90) + 10}`;
}

export function participantId(): string {
  return `p_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
}
