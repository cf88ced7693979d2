/**
 * An HTTP header name is an RFC 9110 token (§5.1, §5.6.2): letters, digits and
 * `!#$%&'*+-.^_`|~`. The joiner checks it before sending a header, the hub again at join.
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const isHeaderName = (name: string): boolean => TOKEN.test(name);
