import { GambiError } from "../../src/protocol/openai/errors.ts";

/** What a client call threw: bun's `expect().rejects` does not see an SDK's APIPromise reject. A call that succeeds fails the test. */
export async function failure(call: PromiseLike<unknown>): Promise<any> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error("the call succeeded");
}

/** What a mapper threw: a GambiError (anything else is thrown on); one that throws nothing fails the test. */
export function refusalOf(call: () => unknown): GambiError {
  try {
    call();
  } catch (err) {
    if (err instanceof GambiError) return err;
    throw err;
  }
  throw new Error("no 400: the call succeeded");
}
