/**
 * Bun appends advice for whoever wrote the fetch() call to some of its network errors ("For
 * more information, pass `verbose: true` in the second argument to fetch()"). Neither a person
 * at a terminal nor a client of the hub can act on it, so the text they are shown leaves it out.
 */
const FETCH_DEBUG_ADVICE = /\s*For more information, pass `verbose: true` in the second argument to fetch\(\)\.?/;

export function withoutFetchAdvice(message: string): string {
  return message.replace(FETCH_DEBUG_ADVICE, "");
}
