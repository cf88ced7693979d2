/**
 * What a typed room code must look like before it is sent: 6 letters or digits. Looser than
 * the codes a hub draws (hub/rooms/codes.ts leaves out 0, O, 1 and I), so a code is never
 * refused here that some hub could have made; the hub says whether the room exists.
 */
const CODE = /^[A-Za-z0-9]{6}$/;

export const looksLikeRoomCode = (typed: string): boolean => CODE.test(typed.trim());
